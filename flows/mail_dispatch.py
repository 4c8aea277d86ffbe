"""`mail-ready-payloads`: when MAIL_DISPATCH_AUTO is on, mail the payloads of ready entries to the
bot's mailbox (RPA_MAILBOX), oldest first, each marked dispatched once its mail was accepted.

What mailing one entry means lives in services/mail_dispatch.py; the flow only reads the switch.
"""

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from connectors.mail import PayloadMailer
from flows.retries import connector_task
from services.mail_dispatch import MailRun, mail_ready_entries
from services.runtime import services_for
from settings import get_settings

ACTOR = "flow:mail-ready-payloads"


class MailDispatchParameters(BaseModel):
    limit: int = Field(
        default=100, ge=1, le=1000, description="Most payloads mailed per run; the rest wait for the next."
    )


class MailDispatchReport(BaseModel):
    mail_dispatch_auto: bool  # false: the switch was off and nothing was looked at
    mailed: int
    skipped: int  # claimed by the bot between the listing and their mail


# Retried only when the process database did not answer (flows/retries.py); an SMTP failure
# fails the run at once, with what was mailed before it already marked dispatched.
@connector_task()
def mail_ready(limit: int) -> MailRun:
    settings = get_settings()
    mailer = PayloadMailer.from_settings(settings)
    if mailer is None:
        raise RuntimeError(
            "MAIL_DISPATCH_AUTO is true but SMTP_HOST or RPA_MAILBOX is unset: set both, or set MAIL_DISPATCH_AUTO=false."
        )
    return mail_ready_entries(services_for(settings).store, mailer, limit=limit, actor=ACTOR)


@flow(name="mail-ready-payloads")
def mail_ready_payloads(parameters: MailDispatchParameters = MailDispatchParameters()) -> MailDispatchReport:
    if not get_settings().mail_dispatch_auto:
        get_run_logger().info(
            "MAIL_DISPATCH_AUTO is false: no payload mailed (the bot claims them, or a clerk mails them)."
        )
        return MailDispatchReport(mail_dispatch_auto=False, mailed=0, skipped=0)
    run = mail_ready(parameters.limit)
    return MailDispatchReport(mail_dispatch_auto=True, mailed=len(run.mailed), skipped=len(run.skipped))
