"""`python -m demo.supervisor` (the end of `make demo`, after seeding and migrating): run the whole
service on one machine until Ctrl-C.

Starts a Prefect server (its own SQLite under var/prefect, UI on 127.0.0.1:4200), then
`python -m flows.serve` against it (the flows on their schedules, a first poll at once, runs
sending heartbeats and the automation that crashes the silent ones), the
API on 127.0.0.1:8000 and the demo RPA bot (demo/rpa_bot.py) with its own API key.
Demo users (a clerk and an admin) are created on the first run. Each child runs in its own
process group with its output in var/log/, so stopping a group stops what that child started too (the Prefect server runs its own uvicorn).
Ctrl-C, SIGTERM or SIGHUP stops them all and exits 0; a child that dies stops the rest and exits 1.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, NoReturn

from connectors.store import ProcessStore
from demo.document_upload import demo_vendor_id, sent_documents, upload_all
from demo.seed import DEMO_DOCUMENTS_DIR, MANIFEST_NAME, manifest_path_for
from settings import REPO_ROOT, VAR_DIR, get_settings

HOST = "127.0.0.1"
PREFECT_PORT = 4200
API_PORT = 8000
PREFECT_URL = f"http://{HOST}:{PREFECT_PORT}"
API_URL = f"http://{HOST}:{API_PORT}"
LOG_DIR = VAR_DIR / "log"
STARTUP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
# Demo people, created on the first run; a real installation creates its own with python -m api.accounts.
DEMO_USERS = {"ap.clerk": "clerk", "ap.admin": "admin"}
DEMO_PASSWORD = "invoice-demo-2026"
DEMO_VENDOR_USER = "vendor.demo"  # bound to the vendor that sent the most demo documents
DEMO_BOT = "demo-bot"
BOT_KEY_FILE = VAR_DIR / "demo-bot.key"

PREFECT_ENV = {
    "PREFECT_HOME": str(VAR_DIR / "prefect"),
    "PREFECT_API_URL": f"{PREFECT_URL}/api",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


class DemoFailed(Exception):
    """Something a user must fix or look at; the message says what."""


class StopRequested(Exception):
    """Ctrl-C, SIGTERM or SIGHUP: a normal end."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Supervisor:
    def __init__(self) -> None:
        self.children: list[Child] = []
        # A plain attribute, not a threading.Event: setting an Event from a signal handler can
        # deadlock on the lock the interrupted main thread holds inside Event.wait.
        self.stop_signal: int | None = None

    def request_stop(self, signum: int, _frame: object) -> None:
        self.stop_signal = signum

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Child:
        log_path = LOG_DIR / f"{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the terminal's Ctrl-C reaches only us
        )
        child = Child(name, process, log_path, log)
        self.children.append(child)
        return child

    def check(self) -> None:
        if self.stop_signal is not None:
            raise StopRequested(self.stop_signal)
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise DemoFailed(
                    f"{child.name} exited with code {code}; its last lines ({child.log_path}):\n{child.log_tail()}"
                )

    def watch(self, seconds: float) -> None:
        time.sleep(seconds)  # a signal only sets stop_signal; check() acts on it within `seconds`
        self.check()

    def wait_until_healthy(self, name: str, url: str) -> None:
        """Until `url` answers 200, watching the children meanwhile."""
        started = time.monotonic()
        while time.monotonic() - started < STARTUP_TIMEOUT_SECONDS:
            self.check()
            if answers_ok(url):
                return
            self.watch(0.5)
        raise DemoFailed(f"{name} did not answer {url} within {STARTUP_TIMEOUT_SECONDS} s")

    def stop_all(self) -> None:
        """Newest first, so flows.serve can still tell the Prefect server it is going."""
        while self.children:
            child = self.children.pop()
            stop(child)
            child.log.close()
            print(f"Stopped {child.name}.", flush=True)


def answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(child: Child) -> None:
    """Ctrl-C for the child alone, so it stops what it started in its own order (the Prefect
    server its uvicorn, flows.serve its flow runs, then pauses its schedules); then SIGKILL for
    whatever is left in its group, after the grace period or once the child is gone."""
    child.process.send_signal(signal.SIGINT)
    try:
        child.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"{child.name} did not stop within {STOP_TIMEOUT_SECONDS} s; killing it", flush=True)
    signal_group(child, signal.SIGKILL)
    child.process.wait()


def signal_group(child: Child, signum: signal.Signals) -> None:
    try:
        os.killpg(child.process.pid, signum)
    except ProcessLookupError:
        pass


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by the previous demo counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def require_free_ports() -> None:
    busy = [port for port in (PREFECT_PORT, API_PORT) if port_in_use(port)]
    if busy:
        ports = " and ".join(f"{HOST}:{port}" for port in busy)
        raise DemoFailed(
            f"{ports} already in use (another `make demo`, Prefect server or API?). "
            f"Stop what listens there (`lsof -i :{busy[0]}` shows it) and run `make demo` again."
        )


def run(supervisor: Supervisor) -> NoReturn:
    require_free_ports()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"Starting the Prefect server on {PREFECT_URL} and the API on {API_URL} ...", flush=True)
    supervisor.start(
        "prefect-server",
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        HOST,
        "--port",
        str(PREFECT_PORT),
        env=PREFECT_ENV,
    )
    supervisor.start("api", "-m", "api", "--host", HOST, "--port", str(API_PORT))
    supervisor.wait_until_healthy("The Prefect server", f"{PREFECT_URL}/api/health")
    print(f"Prefect server up after {time.monotonic() - started:.0f} s; serving the flows ...", flush=True)
    # The demo submits confidently extracted documents at once (DOCUMENTS_AUTO_SUBMIT): they are judged
    # like marketplace invoices; the others wait for a clerk's review.
    supervisor.start("flows-serve", "-m", "flows.serve", env={**PREFECT_ENV, "DOCUMENTS_AUTO_SUBMIT": "true"})
    supervisor.wait_until_healthy("The API", f"{API_URL}/health")
    documents = sent_documents(
        manifest_path_for(get_settings().marketplace_db_url) or VAR_DIR / MANIFEST_NAME, DEMO_DOCUMENTS_DIR
    )
    vendor_id = demo_vendor_id(documents)
    clerk_token, vendor_token = prepare_people(vendor_id)
    uploaded = upload_all(API_URL, documents, clerk_token=clerk_token, vendor_token=vendor_token, vendor_id=vendor_id)
    supervisor.start(
        "rpa-bot",
        "-m",
        "demo.rpa_bot",
        "--api-url",
        API_URL,
        env={"DEMO_BOT_API_KEY": BOT_KEY_FILE.read_text().strip()},
    )
    print(where_to_click(clerk_token, uploaded, vendor_id), flush=True)
    while True:
        supervisor.watch(1)


def prepare_people(vendor_id: str | None) -> tuple[str, str | None]:
    """The demo users (first run only), the demo vendor's user when the demo has documents, and the
    demo bot's API key (kept in var/, mode 600); returns session tokens of the demo clerk (for the
    commands printed below) and of the demo vendor user (None without one)."""
    store = ProcessStore.from_url(get_settings().process_db_url)
    try:
        existing = {user.username for user in store.accounts.list_users()}
        for username, role in DEMO_USERS.items():
            if username not in existing:
                store.accounts.create_user(username, DEMO_PASSWORD, role)  # type: ignore[arg-type]
        vendor_session = None
        if vendor_id is not None:
            if DEMO_VENDOR_USER not in existing:
                store.accounts.create_user(DEMO_VENDOR_USER, DEMO_PASSWORD, "vendor", vendor_id=vendor_id)
            vendor_session = store.accounts.sign_in(DEMO_VENDOR_USER, DEMO_PASSWORD, lifetime=timedelta(hours=8))
        if not BOT_KEY_FILE.exists() or store.accounts.bot_for_key(BOT_KEY_FILE.read_text().strip()) is None:
            taken = {key.name for key in store.accounts.list_api_keys()}
            name = next(n for n in (DEMO_BOT, *(f"{DEMO_BOT}-{i}" for i in range(2, 1000))) if n not in taken)
            BOT_KEY_FILE.touch(mode=0o600)
            BOT_KEY_FILE.write_text(store.accounts.create_api_key(name, created_by="demo").secret + "\n")
        session = store.accounts.sign_in("ap.clerk", DEMO_PASSWORD, lifetime=timedelta(hours=8))
        if session is None:
            raise DemoFailed("the demo user ap.clerk cannot sign in (its password was changed?)")
        return session.token, vendor_session.token if vendor_session else None
    finally:
        store.close()


def where_to_click(clerk_token: str, uploaded: dict[str, int], vendor_id: str | None) -> str:
    documents = (
        f"""  Documents    {uploaded["new"]} demo documents uploaded now ({uploaded["already uploaded"]} were already):
               extract-documents reads them within a minute, submits the confident ones and starts a poll
               curl -s -H "Authorization: Bearer $TOKEN" "{API_URL}/api/v1/documents?status=needs_review"
               curl -s -H "Authorization: Bearer $TOKEN" -F "files=@invoice.pdf" {API_URL}/api/v1/documents
  Vendor       {DEMO_VENDOR_USER} / {DEMO_PASSWORD} signs in to /vendor: vendor {vendor_id}'s invoices and documents only
"""
        if uploaded["new"] or uploaded["already uploaded"]
        else ""
    )
    return f"""
Invoice Automation is running. Ctrl-C stops everything.

  Dashboard    {API_URL}/   sign in as ap.clerk / {DEMO_PASSWORD} (clerk) or ap.admin / {DEMO_PASSWORD} (admin)
  Prefect UI   {PREFECT_URL}/runs
               a first poll-marketplace run starts now (then every 10 minutes; release-stale-dispatches hourly;
               webhooks and mail only once configured); click a run for its task runs, logs and the summary artifact
  API docs     {API_URL}/docs  ("Authorize": paste the token below)
  Token        TOKEN={clerk_token}   (ap.clerk, valid 8 hours)
  Try          curl -s -X POST -H "Authorization: Bearer $TOKEN" {API_URL}/api/v1/invoices/6/validate
               curl -s -H "Authorization: Bearer $TOKEN" "{API_URL}/api/v1/entries?status=entered"
  RPA bot      claims ready payloads, enters them in the demo ERP, fails 1 in 10 (log: rpa-bot.log)
{documents}  Logs         {LOG_DIR.relative_to(REPO_ROOT)}/prefect-server.log, flows-serve.log, api.log, rpa-bot.log
"""


def main() -> int:
    supervisor = Supervisor()
    # Before any child starts: children then get the default Ctrl-C behaviour even when we were
    # started with SIGINT ignored (as a background job of a script). SIGHUP: the terminal closed,
    # and the children, in their own sessions, would not hear of it.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, supervisor.request_stop)
    try:
        run(supervisor)
    except StopRequested as request:
        print(f"{request}: stopping ...", flush=True)
        return 0
    except DemoFailed as failure:
        print(f"demo: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
