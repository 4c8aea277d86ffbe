"""The API under uvicorn (`python -m api`) on 127.0.0.1, in its own process, for the benchmarks that call it over HTTP,
and clients that send an API key (every /api/v1 route wants credentials)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from connectors.store import ProcessStore


@contextmanager
def api_server(*, marketplace_url: str, erp_url: str, process_url: str, port: int, workers: int = 1) -> Iterator[str]:
    """A fresh API server over these databases (the process one migrated): its base URL once its
    /health answers; the server stops after."""
    with api_process(
        marketplace_url=marketplace_url, erp_url=erp_url, process_url=process_url, port=port, workers=workers
    ) as (base_url, _):
        yield base_url


@contextmanager
def api_process(
    *,
    marketplace_url: str,
    erp_url: str,
    process_url: str,
    port: int,
    workers: int = 1,
    environment: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As api_server, with further `environment` (settings), and the server's process too."""
    env = os.environ | {"MARKETPLACE_DB_URL": marketplace_url, "ERP_DB_URL": erp_url, "PROCESS_DB_URL": process_url}
    env |= environment or {}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=30) as probe:
            _wait_until_up(probe, server)
        yield base_url, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def bot_client(base_url: str, process_url: str, name: str) -> httpx.Client:
    """A client sending a new API key named `name`, created in the process database."""
    store = ProcessStore.from_url(process_url)
    try:
        secret = store.accounts.create_api_key(name, created_by="benchmarks").secret
    finally:
        store.close()
    return httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {secret}"})


@contextmanager
def api_client(*, marketplace_url: str, erp_url: str, process_url: str, port: int) -> Iterator[httpx.Client]:
    """A client of a fresh API server (1 worker) over these databases, with the API key "bench"."""
    with api_server(marketplace_url=marketplace_url, erp_url=erp_url, process_url=process_url, port=port) as base_url:
        with bot_client(base_url, process_url, "bench") as client:
            yield client


def _wait_until_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API server exited with {server.returncode}")
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API server did not answer /health within 60 s")
