"""Judging worker processes stop when the run's main process dies, instead of writing on alone."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from settings import REPO_ROOT

# A run's main process: starts two judging workers, keeps both busy (as judging a long partition
# would: an idle worker exits anyway when its task queue closes) and waits for them.
MAIN_PROCESS = """
import sys, time
from pathlib import Path
from services.judging_workers import JudgingWorkers
from tests.api_fixtures import prepare_databases, settings_in

settings = settings_in(Path(sys.argv[1]))
prepare_databases(settings)
with JudgingWorkers(2, settings) as workers:
    busy = [workers._pool.submit(time.sleep, 600) for _ in range(2)]
    print("started", flush=True)
    time.sleep(600)
"""


def workers_of(pid: int) -> list[int]:
    """The spawned worker processes of `pid` (not multiprocessing's resource tracker)."""
    children = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line.split()[0]) for line in children.stdout.splitlines() if "spawn_main" in line]


def running(pid: int) -> bool:
    """Whether `pid` runs (an exited process nobody has reaped yet, a zombie, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_workers_exit_within_seconds_when_the_main_process_is_killed(tmp_path: Path) -> None:
    main = subprocess.Popen(
        [sys.executable, "-c", MAIN_PROCESS, str(tmp_path)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert main.stdout is not None and main.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        while len(workers := workers_of(main.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2
        time.sleep(4)  # each worker is past its imports and watching

        main.send_signal(signal.SIGKILL)
        main.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        main.kill()
    assert not any(running(pid) for pid in workers), workers
