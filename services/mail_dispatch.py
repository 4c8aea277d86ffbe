"""Mail dispatch: handing ready payloads to the bot's mailbox, as the AP team does by hand today.

An entry is marked dispatched only once the SMTP server accepted its mail (connectors/mail.py);
when it did not, the entry stays ready.
"""

from dataclasses import dataclass

from connectors.mail import MailDispatchError, PayloadMailer
from connectors.store import Entry, IllegalTransitionError, ProcessStore


@dataclass(frozen=True)
class MailRun:
    """What one `mail_ready_entries` did."""

    mailed: tuple[int, ...]  # entry ids, now dispatched to the mailbox
    skipped: tuple[int, ...]  # no longer ready when their turn came (claimed by the bot meanwhile)


def mail_to_bot(store: ProcessStore, mailer: PayloadMailer, entry_id: int, *, actor: str) -> Entry:
    """Mail a ready entry's payload to the bot and mark it dispatched to the mailbox.

    Raises IllegalTransitionError when the entry is not ready (nothing is mailed), and
    MailDispatchError when the mail was not accepted (the entry stays ready).
    """
    return store.bot.dispatch(
        entry_id,
        to=mailer.mailbox,
        actor=actor,
        reason=f"mailed to {mailer.mailbox}",
        hand_over=mailer.send_payload,
    )


def mail_ready_entries(store: ProcessStore, mailer: PayloadMailer, *, limit: int, actor: str) -> MailRun:
    """Mail the entries ready the longest (up to `limit`), one transaction each.

    Stops at the first mail the SMTP server does not take: the next ones would most likely fail
    the same way, and they stay ready for the next run or for the bot to claim.
    """
    ready = store.bot.ready_entry_ids(limit)
    mailed: list[int] = []
    skipped: list[int] = []
    for entry_id in ready:
        try:
            mail_to_bot(store, mailer, entry_id, actor=actor)
        except IllegalTransitionError:
            skipped.append(entry_id)  # the bot claimed it between the listing and now
            continue
        except MailDispatchError as error:
            raise MailDispatchError(
                f"{error} (stopped after mailing {len(mailed)} of {len(ready)} ready payloads; the rest stay ready)"
            ) from error
        mailed.append(entry_id)
    return MailRun(mailed=tuple(mailed), skipped=tuple(skipped))
