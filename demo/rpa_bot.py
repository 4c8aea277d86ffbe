"""The demo RPA bot: a stand-in for the customer's UiPath robot, using only the public API.

It claims ready payloads with its own API key, "keys" each into the demo ERP database (an
`ap_invoice` row, and the invoiced quantities on the PO lines, in one ERP transaction) and calls
back success with the new document id; a configurable share of them it fails instead, as a real
bot does when an ERP screen times out, so every status shows up in a demo. Later validations then
see the invoiced quantities and the entered invoice numbers, as they would in production.

    DEMO_BOT_API_KEY=iak_... python -m demo.rpa_bot --api-url http://127.0.0.1:8000
"""

import argparse
import os
import signal
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa

from connectors.erp.demo_schema import ap_invoice, po_line
from settings import get_settings

FAILURE_REASONS = (
    "AP entry screen timed out after 60 s",
    "ERP session expired while saving the document",
    "Vendor master is locked by another user",
)


@dataclass(frozen=True)
class Outcome:
    entry_id: int
    entered_as: str | None  # the ERP document id, or None when the bot reported a failure
    failure_reason: str | None = None  # what it reported, when it failed

    def describe(self) -> str:
        """The bot's log line for it."""
        if self.entered_as is not None:
            return f"entry {self.entry_id}: entered as {self.entered_as}"
        return f"entry {self.entry_id}: failed ({self.failure_reason})"


class DemoRpaBot:
    def __init__(self, api: httpx.Client, erp: sa.Engine, *, failure_percent: int) -> None:
        self._api = api
        self._erp = erp
        self._failure_percent = failure_percent

    def work_once(self) -> Outcome | None:
        """Claim one payload and enter or fail it; None when nothing is ready."""
        claim = self._api.post("/api/v1/rpa/claim")
        claim.raise_for_status()
        if claim.status_code == 204:
            return None
        entry_id, payload = claim.json()["entry_id"], claim.json()["payload"]
        if self._fails(entry_id):
            reason = FAILURE_REASONS[entry_id % len(FAILURE_REASONS)]
            self._api.post(f"/api/v1/rpa/{entry_id}/failure", json={"reason": reason}).raise_for_status()
            return Outcome(entry_id, None, reason)
        document_id = self.enter_into_erp(entry_id, payload)
        self._api.post(f"/api/v1/rpa/{entry_id}/success", json={"erp_document_id": document_id}).raise_for_status()
        return Outcome(entry_id, document_id)

    def _fails(self, entry_id: int) -> bool:
        # Decided by the entry id, so a rerun of the demo fails the same entries.
        return zlib.crc32(str(entry_id).encode()) % 100 < self._failure_percent

    def enter_into_erp(self, entry_id: int, payload: dict[str, Any]) -> str:
        """What the robot keys in: the AP document and the PO lines' invoiced quantities, at once."""
        document_id = f"AP-{entry_id:08d}"
        with self._erp.begin() as erp:
            if erp.scalar(sa.select(ap_invoice.c.ap_doc_id).where(ap_invoice.c.ap_doc_id == document_id)) is not None:
                return document_id  # keyed in before, its success callback lost: report it again
            key_in_ap_invoice(
                erp,
                document_id,
                vendor_id=payload["vendor_id"],
                invoice_number=payload["invoice_number"],
                invoice_date=date.fromisoformat(payload["invoice_date"]),
                po_number=payload["po_number"],
                currency=payload["currency"],
                total=Decimal(payload["total"]),
            )
            for line in payload["lines"]:
                erp.execute(
                    po_line.update()
                    .where(po_line.c.po_number == payload["po_number"], po_line.c.po_line_no == line["po_line_no"])
                    .values(qty_invoiced=po_line.c.qty_invoiced + Decimal(line["quantity"]))
                )
        return document_id


def key_in_ap_invoice(
    erp: sa.Connection,
    document_id: str,
    *,
    vendor_id: str,
    invoice_number: str,
    invoice_date: date,
    po_number: str,
    currency: str,
    total: Decimal,
) -> None:
    """The AP document a bot keys into the demo ERP, entered now."""
    erp.execute(
        ap_invoice.insert().values(
            ap_doc_id=document_id,
            vendor_id=vendor_id,
            vendor_invoice_no=invoice_number,
            invoice_date=invoice_date,
            po_number=po_number,
            currency_code=currency,
            invoice_total=total,
            entered_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.rpa_bot", description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--failure-percent", type=int, default=10, choices=range(0, 101), metavar="0..100")
    parser.add_argument("--pace", type=float, default=0.2, help="seconds per invoice, as a screen-driving robot takes")
    parser.add_argument("--idle", type=float, default=5, help="seconds to wait when nothing is ready")
    args = parser.parse_args(argv)
    key = os.environ.get("DEMO_BOT_API_KEY")
    if not key:
        print("DEMO_BOT_API_KEY is not set (create one: python -m api.accounts create-key demo-bot)", file=sys.stderr)
        return 2
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    erp = sa.create_engine(get_settings().erp_db_url)
    with httpx.Client(base_url=args.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        bot = DemoRpaBot(api, erp, failure_percent=args.failure_percent)
        while not stopping:
            try:
                outcome = bot.work_once()
            except httpx.HTTPError as error:  # the API restarting, say: try again shortly
                print(f"API call failed ({error}); retrying in {args.idle} s", flush=True)
                outcome = None
            if outcome is not None:
                print(outcome.describe(), flush=True)
            time.sleep(args.pace if outcome is not None else args.idle)
    erp.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
