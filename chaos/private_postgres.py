"""A PostgreSQL server of the scenario's (or test's) own, to stop and start, freeze and thaw mid-run
without touching the machine's: initdb into a temporary folder, pg_ctl on a free loopback port. The server binaries
come with Debian's postgresql package (/usr/lib/postgresql/<version>/bin); as root, they run as
the `postgres` user, since PostgreSQL refuses to run as root."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_BIN_ROOT = Path("/usr/lib/postgresql")
SERVICE_USER = "postgres"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    versions = sorted(POSTGRES_BIN_ROOT.glob("*/bin/pg_ctl"), key=lambda path: int(path.parent.parent.name))
    if not versions:
        raise PostgresUnavailableError(f"no PostgreSQL server under {POSTGRES_BIN_ROOT} (Debian package postgresql)")
    return versions[-1].parent


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        """`folder`: a new folder the service user can reach (its parents searchable by it)."""
        self._bin = server_binaries()
        self._data = folder / "data"
        self._log = folder / "server.log"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://{SERVICE_USER}@127.0.0.1:{self.port}/postgres"
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, SERVICE_USER)
        self._run("initdb", "-D", str(self._data), "-U", SERVICE_USER, "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._log), "-o", options, "-w", "start")

    def freeze(self) -> None:
        """Stop every process of the server (SIGSTOP): it keeps its connections but answers nothing.
        The postmaster first, so that it starts no new backend."""
        os.kill(self._postmaster_pid(), signal.SIGSTOP)
        self._signal_backends(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_backends(signal.SIGCONT)
        os.kill(self._postmaster_pid(), signal.SIGCONT)

    def _postmaster_pid(self) -> int:
        return int((self._data / "postmaster.pid").read_text().split()[0])

    def _signal_backends(self, signal_number: int) -> None:
        postmaster = self._postmaster_pid()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except OSError:  # the process has exited
                continue
            if parent == postmaster:
                with contextlib.suppress(ProcessLookupError):  # a backend whose client has left exits
                    os.kill(int(stat.parent.name), signal_number)

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: the way a crash or a pulled plug stops it (no checkpoint, clients cut off)."""
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
        finally:
            admin.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self._bin / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    # Directly under the system's temporary folder: a test's own tmp_path is private to root.
    folder = Path(tempfile.mkdtemp(prefix="ia-chaos-postgres-"))
    server = PrivatePostgres(folder)
    server.start()
    try:
        yield server
    finally:
        try:
            server.thaw()  # a frozen server cannot be stopped
        except (FileNotFoundError, ProcessLookupError):
            pass  # not running
        try:
            server.stop("fast")
        except subprocess.CalledProcessError:
            pass  # stopped already by the scenario
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
