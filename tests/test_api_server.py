"""`python -m api`: the server a deployment runs, with several workers whose connections send at once."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from api.server import TcpListenerConfig
from tests.api_fixtures import prepare_databases, settings_in
from tests.mailroom import free_port


def nodelay_of_accepted_connection(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on `listener` (as uvicorn's workers do)."""

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, timeout=10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(accept_one())


def test_the_listener_bound_for_several_workers_gives_connections_tcp_nodelay() -> None:
    ours = TcpListenerConfig("api.main:app", host="127.0.0.1", port=0, workers=2).bind_socket()
    uvicorns = uvicorn.Config("api.main:app", host="127.0.0.1", port=0, workers=2).bind_socket()

    assert nodelay_of_accepted_connection(ours) != 0
    # The upstream bug this works around (Kludex/uvicorn#3149): when uvicorn fixes it, drop TcpListenerConfig.
    assert nodelay_of_accepted_connection(uvicorns) == 0


def test_python_m_api_serves_with_two_workers_and_stops_on_sigint(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    prepare_databases(settings)
    port = free_port()
    env = os.environ | {
        "MARKETPLACE_DB_URL": settings.marketplace_db_url,
        "ERP_DB_URL": settings.erp_db_url,
        "PROCESS_DB_URL": settings.process_db_url,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env,
        cwd=Path(__file__).parents[1],
    )
    try:
        answers: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not answers:
            try:
                answers.add(httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code)
            except httpx.TransportError:
                assert server.poll() is None, f"the server exited with {server.returncode}"
                time.sleep(0.2)
        assert answers == {200}
    finally:
        server.send_signal(signal.SIGINT)
        returncode = server.wait(timeout=30)
    assert returncode == 0
