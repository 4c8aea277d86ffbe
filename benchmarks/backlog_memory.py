"""A backlog far beyond one page or batch (100,000 invoices, ≈1,000,000 lines) through ONE
poll-marketplace run, with the peak memory (RSS) of every process of the run: the flow's own and
each judging worker's. The bound to keep: ~500 MB per process, whatever the backlog.

Each run is measured in a process of its own (spawned), so what the benchmark did before (seeding,
other runs) does not count. Peaks are Linux's high-water marks (VmHWM in /proc): the flow's
process resets its own (clear_refs) when the run starts, and a thread reads the workers' while they live.
"""

import multiprocessing
import os
import re
import tempfile
import threading
from datetime import date
from pathlib import Path

from benchmarks import poll_backlog

PEAK_BOUND_MB = 500
SAMPLE_SECONDS = 0.1


def _high_water_mb(pid: int | str) -> float | None:
    """The process's peak RSS so far, in MB; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return None if found is None else int(found.group(1)) / 1024


def _rss_mb() -> float:
    found = re.search(r"^VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return 0.0 if found is None else int(found.group(1)) / 1024


def _judging_workers(parent: int) -> list[str]:
    """The spawned (multiprocessing) children of `parent`: the judging workers."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            spawned = ppid == parent and b"spawn_main" in (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if spawned:
            workers.append(entry.name)
    return workers


class PeakMemory:
    """Peak RSS of this process and of its judging workers over a with-block."""

    def __init__(self) -> None:
        self.start_mb = 0.0
        self.flow_mb = 0.0
        self.workers_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="peak-memory", daemon=True)

    def __enter__(self) -> "PeakMemory":
        Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from the current RSS
        self.start_mb = _rss_mb()
        self._watcher.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._watcher.join()
        self.flow_mb = _high_water_mb("self") or 0.0

    def _watch(self) -> None:
        parent = os.getpid()
        while not self._stop.wait(SAMPLE_SECONDS):
            for pid in _judging_workers(parent):
                peak = _high_water_mb(pid)
                if peak is not None:
                    self.workers_mb[pid] = max(peak, self.workers_mb.get(pid, 0.0))


def _measure(marketplace: str, erp: str, process: str, invoices: int, judging_processes: int) -> None:
    with poll_backlog.prefect_harness(), PeakMemory() as peaks:
        figures = poll_backlog.one_poll_run(
            marketplace, erp, process, label="sqlite", invoices=invoices, judging_processes=judging_processes
        )
    workers = ", ".join(f"worker {mb:.0f} MB" for mb in peaks.workers_mb.values())
    highest = max([peaks.flow_mb, *peaks.workers_mb.values()])
    print(
        f"  peak RSS per process: flow {peaks.flow_mb:.0f} MB ({peaks.start_mb:.0f} MB before the run)"
        f"{', ' + workers if workers else ''}; {figures['invoices_per_second']} invoices/s "
        f"(bound ~{PEAK_BOUND_MB} MB per process: {'within' if highest <= PEAK_BOUND_MB else 'OVER'})",
        flush=True,
    )


def run(invoices: int, processes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        marketplace, erp = f"sqlite:///{Path(folder) / 'marketplace.db'}", f"sqlite:///{Path(folder) / 'erp.db'}"
        poll_backlog.write_backlog(marketplace, erp, invoices=invoices, lines=10, today=date.today())
        for n in processes:
            # its own process: the seeding above and the run before leave nothing in it
            measured = multiprocessing.get_context("spawn").Process(
                target=_measure, args=(marketplace, erp, f"sqlite:///{Path(folder) / 'process.db'}", invoices, n)
            )
            measured.start()
            try:
                measured.join()
            finally:  # interrupted: the run stops too
                measured.terminate()
            if measured.exitcode != 0:
                raise AssertionError(f"the {invoices}-invoice run with {n} judging processes failed")
