"""A PostgreSQL server of the test's own (initdb and pg_ctl of the installed PostgreSQL, in a temporary
folder, on a free port), which the test may freeze (SIGSTOP: the server keeps its connections but
answers nothing) and thaw (SIGCONT).

Under CI=true a missing PostgreSQL installation fails the test; elsewhere it skips.
"""

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import IN_CI
from tests.mailroom import free_port

# initdb refuses to run as root: the server then runs as the postgres user the Debian packages make.
_SERVER_USER = "postgres" if os.geteuid() == 0 else None


@dataclass(frozen=True)
class PrivatePostgres:
    url: str
    postmaster_pid: int

    def freeze(self) -> None:
        """Stop every process of the server: the postmaster first, so that it starts no new one."""
        os.kill(self.postmaster_pid, signal.SIGSTOP)
        self._signal_children(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_children(signal.SIGCONT)
        os.kill(self.postmaster_pid, signal.SIGCONT)

    def _signal_children(self, signal_number: int) -> None:
        for child in self._children():
            with contextlib.suppress(ProcessLookupError):  # a backend whose client has left exits
                os.kill(child, signal_number)

    def _children(self) -> list[int]:
        # Each backend is a process group of its own (PostgreSQL makes it one): found by parent.
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process has exited
                continue
            if int(fields[1]) == self.postmaster_pid:
                children.append(int(stat.parent.name))
        return children


def _server_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(Path(path).parts[4]))
    if not found:
        reason = "no PostgreSQL server installed under /usr/lib/postgresql (apt-get install postgresql)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return Path(found[-1]).parent


def _run(*command: str | Path) -> None:
    subprocess.run(command, check=True, capture_output=True, user=_SERVER_USER, timeout=120)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    binaries = _server_binaries()
    # Not under pytest's tmp_path: its folders are private to root, and the server may run as postgres.
    home = Path(tempfile.mkdtemp(prefix="ia-private-postgres-"))
    if _SERVER_USER is not None:
        shutil.chown(home, user=_SERVER_USER)
    data, port = home / "data", free_port()
    _run(binaries / "initdb", "--pgdata", data, "--username", "postgres", "--auth", "trust", "--no-sync")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {home} -c fsync=off"
    _run(binaries / "pg_ctl", "start", "--pgdata", data, "--wait", "--log", home / "server.log", "-o", options)
    try:
        postmaster_pid = int((data / "postmaster.pid").read_text().split()[0])
        server = PrivatePostgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", postmaster_pid)
        try:
            yield server
        finally:
            server.thaw()  # a frozen server cannot be stopped
    finally:
        _run(binaries / "pg_ctl", "stop", "--pgdata", data, "--mode", "immediate", "--wait")
        shutil.rmtree(home, ignore_errors=True)
