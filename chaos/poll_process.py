"""A poll in a process of its own, to be killed: `python -m chaos.poll_process BATCH_SIZE`.

The steps poll-marketplace sequences (services/polling.py: the pull, then batch after batch until
nothing is left to judge), without the Prefect run around them, reading the databases from the
environment as the flow does. It prints a line per step, so a scenario can kill it at a chosen point.
"""

import sys

from connectors.store.partitions import VendorPartition
from services.polling import judge_next_batch, pull_into_inbox
from services.runtime import Services
from settings import get_settings

ACTOR = "flow:poll-marketplace"
DONE = "done"  # its last line, once nothing is left to judge


def main(argv: list[str]) -> int:
    batch_size = int(argv[0]) if argv else 100
    services = Services.from_settings(get_settings())
    try:
        pulled = pull_into_inbox(services.marketplace, services.store, actor=ACTOR, judged_here=VendorPartition(0, 1))
        print(f"pulled {pulled.new_invoices}", flush=True)
        while True:
            batch = judge_next_batch(
                services.judging, batch_size=batch_size, actor=ACTOR, flow_run_id=None, partition=VendorPartition(0, 1)
            )
            if batch.selected == 0:
                break
            print(f"judged {batch.selected} recorded {batch.recorded}", flush=True)
        print(DONE, flush=True)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
