"""A poll in a process of its own, to be killed: `python -m chaos.poll_process BATCH_SIZE SLICE_LINES`.

The steps poll-marketplace sequences (flows/poll.py over services/polling.py: a slice of the
pull, then the slice judged batch by batch, then the next slice), without the Prefect run around
them, reading the databases from the environment as the flow does. It prints a line per slice
pulled and per slice judged, so a scenario can kill it at a chosen point.
"""

import sys

from connectors.store.partitions import VendorPartition
from services.polling import PullOutcome, judge_partition, pull_into_inbox
from services.runtime import Services
from settings import get_settings

ACTOR = "flow:poll-marketplace"
JUDGED = "judged"  # a slice's line: "judged N in B batches"
DONE = "done"  # its last line, once the marketplace is read and nothing is left to judge
MAX_BATCHES = 10_000  # no bound: it judges until nothing is left, as a run within max_batches does


def main(argv: list[str]) -> int:
    batch_size, slice_lines = (int(argv[0]), int(argv[1])) if argv else (100, 50_000)
    services = Services.from_settings(get_settings())
    everything = VendorPartition(0, 1)
    try:
        pulled = PullOutcome(new_invoices=0, already_known=0, unreadable=0)
        while True:
            pulled += pull_into_inbox(
                services.marketplace,
                services.store,
                actor=ACTOR,
                judged_here=everything,
                max_lines=slice_lines,
                resume_after=pulled.resume_after,
            )
            print(f"pulled {pulled.new_invoices}", flush=True)
            batches = judge_partition(
                services.judging,
                everything,
                batch_size=batch_size,
                max_batches=MAX_BATCHES,
                actor=ACTOR,
                flow_run_id=None,
            )
            print(f"{JUDGED} {sum(batch.selected for batch in batches)} in {len(batches) - 1} batches", flush=True)
            if pulled.resume_after is None:
                break
        print(DONE, flush=True)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
