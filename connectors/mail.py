"""Mailing RPA payloads to the bot's mailbox, as the AP team does by hand today.

Each mail carries one entry's payload twice: as the text body (what the bot reads today) and as
a `payload-<entry id>.json` attachment. An entry is marked dispatched only once its SMTP server
accepted the mail (services/mail_dispatch.py); when it did not, nothing changes.
"""

import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Self

from pydantic import SecretStr

from connectors.store import Entry, NoPayloadError
from domain.clock import Clock, system_clock
from domain.payload_schema import payload_json
from settings import Settings

ENTRY_HEADER = "X-Invoice-Automation-Entry"


class MailDispatchError(Exception):
    """The SMTP server could not be reached or did not accept a payload mail: nothing was dispatched."""


@dataclass(frozen=True)
class PayloadMailer:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: SecretStr | None
    timeout_seconds: float
    sender: str
    mailbox: str
    clock: Clock = system_clock  # the mails' Date header

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The mailer the settings describe; None when they name no SMTP server or no bot mailbox."""
        if settings.smtp_host is None or settings.rpa_mailbox is None:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_seconds=settings.smtp_timeout_seconds,
            sender=settings.mail_from,
            mailbox=settings.rpa_mailbox,
        )

    def send_payload(self, entry: Entry) -> None:
        """Mail the entry's payload to the bot's mailbox; raises MailDispatchError when it was not accepted."""
        message = self._message(entry)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
        except OSError as error:  # refused, unknown host, timed out
            raise self._failure(entry, error) from error
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None:
                smtp.login(self.username, self.password.get_secret_value() if self.password is not None else "")
            smtp.send_message(message)
        except OSError as error:  # smtplib's errors are OSErrors, as are TLS and socket ones
            raise self._failure(entry, error) from error
        else:
            # The mail is accepted once send_message returns: a failed goodbye must not make the
            # caller think otherwise, or the payload would be mailed twice.
            try:
                smtp.quit()
            except OSError:
                pass
        finally:
            smtp.close()

    def _message(self, entry: Entry) -> EmailMessage:
        if entry.payload is None:
            raise NoPayloadError(entry.id)
        payload_text = json.dumps(payload_json(entry.payload), indent=2, ensure_ascii=False)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.mailbox
        message["Subject"] = f"RPA payload: entry {entry.id}, invoice {entry.invoice_number}, PO {entry.po_number}"
        message["Date"] = formatdate(self.clock().timestamp(), usegmt=True)
        message["Message-ID"] = self._message_id(entry)
        message[ENTRY_HEADER] = str(entry.id)
        # The body is the bare JSON, so it parses whole; the attachment is the same text, as a file.
        message.set_content(payload_text)
        message.add_attachment(
            payload_text.encode(), maintype="application", subtype="json", filename=f"payload-{entry.id}.json"
        )
        return message

    def _message_id(self, entry: Entry) -> str:
        # Derived from the moment the entry became ready: a mail sent again because marking it
        # dispatched failed keeps its Message-ID (the bot can drop the repeat), while an entry
        # requeued later gets a new one.
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "invoice-automation.invalid"
        return f"<entry-{entry.id}.{entry.updated_at:%Y%m%dT%H%M%S%f}@{domain}>"

    def _failure(self, entry: Entry, error: OSError) -> MailDispatchError:
        return MailDispatchError(
            f"Could not mail the payload of entry {entry.id} to {self.mailbox} through SMTP server "
            f"{self.host}:{self.port}: {_smtp_reason(error)}"
        )


def _smtp_reason(error: OSError) -> str:
    """What the server answered, or why there was no answer, in one line."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt} refused: {code} {_text(text)}" for rcpt, (code, text) in error.recipients.items())
    return str(error) or type(error).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
