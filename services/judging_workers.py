"""Worker processes that judge vendor partitions next to the flow's own process.

Judging is CPU work (validating every line, the rules, building payloads), and one Python
process runs one thread at a time, so a second core needs a second process. The workers are
spawned when a poll starts, so that their start (~1.5 s of imports each) overlaps the pull, and
each judges one vendor partition (connectors.store.partitions) over its own connections. No
Prefect here: the flow's tasks hand work to these processes and wait for it, so retries and
task runs stay the flow's.
"""

import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Self

from connectors.db import is_sqlite_in_memory
from connectors.store.partitions import VendorPartition
from services.polling import JUDGING_GC_THRESHOLDS, BatchOutcome, judge_partition
from services.runtime import services_for
from settings import Settings

# How often a worker looks whether the run's main process is still there.
PARENT_CHECK_SECONDS = 0.5


def _start_worker(settings: Settings, parent_pid: int) -> None:
    _exit_with(parent_pid)
    gc.set_threshold(*JUDGING_GC_THRESHOLDS)  # the worker's whole life is judging
    services_for(settings)  # imports and connection pools ready before the first batch


def _exit_with(parent_pid: int) -> None:
    """Stop this worker as soon as the run's main process is gone (killed, its machine lost): a worker
    must not go on writing for a run nobody watches. Its open batch rolls back with its connection."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-the-run", daemon=True).start()


def _worker_ready() -> int:
    return os.getpid()


def _judge_in_worker(
    settings: Settings,
    partition: VendorPartition,
    batch_size: int,
    max_batches: int,
    actor: str,
    flow_run_id: str | None,
) -> list[BatchOutcome]:
    return judge_partition(
        services_for(settings).judging,
        partition,
        batch_size=batch_size,
        max_batches=max_batches,
        actor=actor,
        flow_run_id=flow_run_id,
    )


class JudgingWorkers:
    """`processes` worker processes for `settings`, started on entering and stopped on leaving."""

    def __init__(self, processes: int, settings: Settings) -> None:
        if processes and is_sqlite_in_memory(settings.process_db_url):
            raise ValueError(
                "judging_processes above 1 needs a process database other processes can open, "
                f"not an in-memory SQLite one ({settings.process_db_url})"
            )
        self.processes = processes
        self._settings = settings
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        if self.processes:
            # spawn, not fork: the flow's process runs Prefect's threads, which a fork would copy mid-step
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._settings, os.getpid()),
            )
            for _ in range(self.processes):  # each call finds no idle worker, so each starts one now
                self._pool.submit(_worker_ready)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            # Not waiting for the workers to exit (~0.5 s for an interpreter that held thousands
            # of invoices): they exit on their own. After a failure, a worker still judging
            # finishes its partition first; each of its batches is one transaction either way.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def judge(
        self, partition: VendorPartition, *, batch_size: int, max_batches: int, actor: str, flow_run_id: str | None
    ) -> list[BatchOutcome]:
        """Judge the partition in a worker process and wait for its outcomes (its exception, if any)."""
        if self._pool is None:
            raise RuntimeError("JudgingWorkers.judge outside its with-block, or with no worker process")
        return self._pool.submit(
            _judge_in_worker, self._settings, partition, batch_size, max_batches, actor, flow_run_id
        ).result()
