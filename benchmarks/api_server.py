"""The API under uvicorn on 127.0.0.1, in its own process, for the benchmarks that call it over HTTP."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def api_client(*, marketplace_url: str, erp_url: str, process_url: str, port: int) -> Iterator[httpx.Client]:
    """A client of a fresh API server over these databases, once its /health answers; the server stops after."""
    env = os.environ | {"MARKETPLACE_DB_URL": marketplace_url, "ERP_DB_URL": erp_url, "PROCESS_DB_URL": process_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_until_up(client, server)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


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
