"""`make chaos` / `python -m chaos [--runs N] [--invoices N] [--postgres-url URL] [SCENARIO ...]`:
each scenario N times on PostgreSQL, the invariants checked after each run, and a table of it all.
Exits 1 if any run broke an invariant."""

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from chaos import scenarios
from chaos.invariants import Check
from chaos.private_postgres import PrivatePostgres, private_postgres
from chaos.world import World, world_in

Scenario = Callable[[World, random.Random, PrivatePostgres | None], scenarios.Outcome]
SCENARIOS: dict[str, Scenario] = {
    "kill-9-poll": scenarios.kill_the_poll,
    "database-stop": scenarios.stop_the_database,
    "overlapping-polls": scenarios.two_polls_at_once,
    "bots-racing": scenarios.bots_racing,
    "stale-late-callback": scenarios.stale_dispatch_late_callback,
}
# Run on a PostgreSQL server of their own, which they stop and start.
ON_PRIVATE_SERVER = {"database-stop"}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Tally:
    runs: int = 0
    faults: int = 0
    struck: int = 0
    seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run_once(
    name: str, *, postgres_url: str, invoices: int, seed: int, folder: Path
) -> tuple[Check, scenarios.Outcome]:
    """One run of a scenario over fresh databases: the invariants afterwards, and its own findings."""
    with ExitStack() as stack:
        server = stack.enter_context(private_postgres()) if name in ON_PRIVATE_SERVER else None
        world = stack.enter_context(
            world_in(folder, server.url if server else postgres_url, invoices=invoices, seed=seed)
        )
        outcome = SCENARIOS[name](world, random.Random(seed), server)
        # then the next scheduled poll, which recovers what the fault left (and judges what freed POs let through)
        if (status := world.poll_to_the_end()) != 0:
            outcome.problems.append(f"the next poll exited with {status}")
        return world.check(), outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario (default %(default)s)")
    parser.add_argument("--invoices", type=int, default=600, help="demo invoices per run (default %(default)s)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server to create databases on")
    parser.add_argument("--seed", type=int, default=1, help="first random seed; run k uses seed + k")
    arguments = parser.parse_args(argv)
    if unknown := sorted(set(arguments.scenarios) - set(SCENARIOS)):
        parser.error(f"no scenario {', '.join(unknown)}; there are {', '.join(SCENARIOS)}")
    tallies: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="ia-chaos-") as root:
        for name in arguments.scenarios or list(SCENARIOS):
            tally = tallies.setdefault(name, Tally())
            for run in range(arguments.runs):
                started = time.perf_counter()
                check, outcome = run_once(
                    name,
                    postgres_url=arguments.postgres_url,
                    invoices=arguments.invoices,
                    seed=arguments.seed + run,
                    folder=Path(root) / f"{name}-{run}",
                )
                tally.runs += 1
                tally.seconds += time.perf_counter() - started
                tally.faults, tally.struck = tally.faults + outcome.faults, tally.struck + outcome.struck
                tally.checks.append(check)
                tally.problems.extend(outcome.problems + check.violations)
                print(f"  {name} run {run + 1}: {len(outcome.problems) + len(check.violations)} violations", flush=True)
    print(table(tallies))
    for name, tally in tallies.items():
        for problem in tally.problems[:20]:
            print(f"{name}: {problem}")
    return 1 if any(tally.problems for tally in tallies.values()) else 0


def _total(checks: list[Check], attribute: str) -> int:
    return sum(getattr(check, attribute) for check in checks)


def table(tallies: dict[str, Tally]) -> str:
    header = (
        "scenario",
        "runs",
        "faults (struck mid-run)",
        "invoices",
        "entries",
        "entered",
        "waiting on lock",
        "double entries flagged",
        "violations",
        "s/run",
    )
    rows: list[tuple[str, ...]] = [header]
    for name, tally in tallies.items():
        total = partial(_total, tally.checks)
        rows.append(
            (
                name,
                str(tally.runs),
                f"{tally.faults} ({tally.struck})",
                str(total("invoices")),
                str(total("entries")),
                str(total("entered")),
                str(total("waiting_on_lock")),
                str(total("flagged_double_entries")),
                str(len(tally.problems)),
                f"{tally.seconds / max(tally.runs, 1):.1f}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
