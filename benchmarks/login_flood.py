"""Authenticated requests during a flood of wrong-password sign-ins, against `python -m api`
(1 worker, SQLite) on 127.0.0.1: latency of a clerk's and a bot's GET /api/v1/auth/me, idle and
while 30 clients keep signing in with wrong passwords, and the API process's peak RSS.

The flood uses a new username each time and the address limit is lifted, as for an attack from
many addresses: every sign-in costs a password check (argon2id, 64 MiB), the worst case.
"""

import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.api_server import api_process
from connectors.store import ProcessStore
from connectors.store.migrate import upgrade

PORT = 8767
FLOODERS = 30
CLERK_PASSWORD = "correct horse battery staple"
# Every flooding sign-in gets as far as its password check.
NO_ADDRESS_LIMIT = {"SIGN_IN_ADDRESS_LOCKOUT_AFTER_FAILURES": "1000000000"}


@dataclass
class Flood:
    """Latencies (ms) of authenticated calls made during the flood, and the flood's answers."""

    latencies_ms: list[float]
    sign_in_answers: Counter[int]
    seconds: float


@contextmanager
def flooded_api(
    folder: Path, port: int = PORT
) -> Iterator[tuple[str, subprocess.Popen[bytes], dict[str, dict[str, str]]]]:
    """An API server over empty databases in `folder`, with the address limit lifted: its URL, its
    process, and the headers of a clerk ("clerk") and a bot ("bot")."""
    urls = {name: f"sqlite:///{folder / f'{name}.db'}" for name in ("marketplace", "erp", "process")}
    upgrade(urls["process"])
    store = ProcessStore.from_url(urls["process"])
    try:
        store.accounts.create_user("clerk", CLERK_PASSWORD, "clerk")
        key = store.accounts.create_api_key("bot", created_by="benchmarks").secret
    finally:
        store.close()
    with api_process(
        marketplace_url=urls["marketplace"],
        erp_url=urls["erp"],
        process_url=urls["process"],
        port=port,
        environment=NO_ADDRESS_LIMIT,
    ) as (base_url, server):
        token = httpx.post(
            f"{base_url}/api/v1/auth/login", json={"username": "clerk", "password": CLERK_PASSWORD}, timeout=60
        ).json()["token"]
        headers = {"clerk": {"Authorization": f"Bearer {token}"}, "bot": {"Authorization": f"Bearer {key}"}}
        yield base_url, server, headers


def authenticated_calls(base_url: str, headers: dict[str, dict[str, str]], calls: int) -> list[float]:
    """Latencies (ms) of `calls` GET /api/v1/auth/me, alternately as the clerk and as the bot; each must answer 200."""
    latencies = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for number in range(calls):
            started = time.perf_counter()
            response = client.get("/api/v1/auth/me", headers=headers["clerk" if number % 2 else "bot"])
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise AssertionError(f"GET /api/v1/auth/me answered {response.status_code} during the flood")
    return latencies


def during_flood(base_url: str, headers: dict[str, dict[str, str]], calls: int, flooders: int = FLOODERS) -> Flood:
    """`calls` authenticated calls made while `flooders` clients sign in with wrong passwords, none
    waiting for another; the flood has been going for a second when the calls start."""
    stop, lock, answers = threading.Event(), threading.Lock(), Counter[int]()

    def flood(flooder: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            attempt = 0
            while not stop.is_set():
                attempt += 1
                credentials = {"username": f"intruder-{flooder}-{attempt}", "password": "not the password"}
                status = client.post("/api/v1/auth/login", json=credentials).status_code
                with lock:
                    answers[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=flooders) as pool:
        floods = [pool.submit(flood, flooder) for flooder in range(flooders)]
        try:
            time.sleep(1)
            latencies = authenticated_calls(base_url, headers, calls)
        finally:
            stop.set()
        for running in floods:
            running.result(timeout=120)
    return Flood(latencies_ms=latencies, sign_in_answers=answers, seconds=time.perf_counter() - started)


def peak_rss_mb(process: subprocess.Popen[bytes]) -> float:
    """The most memory the process has held resident so far (VmHWM, Linux)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {process.pid}")


def _p50_p95(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return round(cuts[49], 1), round(cuts[94], 1)


def run(calls: int = 200) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, flooded_api(Path(folder)) as (base_url, server, headers):
        idle = _p50_p95(authenticated_calls(base_url, headers, calls))
        idle_rss = peak_rss_mb(server)
        flood = during_flood(base_url, headers, calls)
        flooded = _p50_p95(flood.latencies_ms)
        rss = peak_rss_mb(server)
    answers = dict(sorted(flood.sign_in_answers.items()))
    print(
        f"authenticated p50/p95 during a login flood (uvicorn, 1 worker, SQLite; {FLOODERS} clients signing in with "
        f"wrong passwords, {calls} GET /auth/me as a clerk and a bot): p50 {flooded[0]} ms, p95 {flooded[1]} ms, "
        f"slowest {max(flood.latencies_ms):.0f} ms (idle: p50 {idle[0]} ms, p95 {idle[1]} ms); "
        f"sign-in answers {answers} in {flood.seconds:.1f} s; API process peak RSS {rss:.0f} MB "
        f"({idle_rss:.0f} MB before the flood)"
    )
    return {"p50_ms": flooded[0], "p95_ms": flooded[1], "peak_rss_mb": rss}


if __name__ == "__main__":
    run()
