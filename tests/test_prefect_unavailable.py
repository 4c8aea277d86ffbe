"""When the Prefect API is stopped, hangs or answers nonsense: the flow runs overview still answers
200 (saying Prefect is not available, and why) within the client's timeout, and starting a poll is a
503 that names the URL. No Prefect server here: a closed port, a socket that never answers, and a
small HTTP server answering what Prefect never would."""

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import uuid4

import pytest

from connectors.prefect_api import PrefectApi, PrefectUnavailableError
from tests.api_fixtures import api_world, closed_prefect_url

URL = "/api/v1/flow-runs"


@pytest.fixture
def silent_prefect() -> Iterator[str]:
    """A Prefect API URL whose port accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"


class _Answers(BaseHTTPRequestHandler):
    """Answers every request by its path: /api-500/... a 500, /api-html/... a page, /api-shape/... JSON
    that is no list of deployments."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, content_type, body = {
            "/api-500": (500, "application/json", b'{"detail": "database is locked"}'),
            "/api-html": (200, "text/html", b"<html>a proxy's login page</html>"),
            "/api-shape": (200, "application/json", b'[{"id": "not a uuid", "name": 7}]'),
        }["/" + self.path.split("/")[1]]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def odd_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_with_prefect_stopped_the_overview_says_so_and_poll_now_is_503(tmp_path: Path) -> None:
    prefect_url = closed_prefect_url()
    with api_world(tmp_path, prefect_api_url=prefect_url) as world:
        started = time.monotonic()
        response = world.client.get(URL)
        took = time.monotonic() - started

        assert response.status_code == 200
        body = response.json()
        assert (body["prefect_available"], body["deployments"]) == (False, [])
        assert body["message"].startswith(
            f"The Prefect API at {prefect_url} is not available: POST /deployments/filter"
        )
        assert "Connection refused" in body["message"]
        assert took < world.settings.prefect_api_timeout_seconds

        poll = world.client.post(f"{URL}/poll", headers=world.headers("admin"))

        assert poll.status_code == 503
        assert poll.headers["Retry-After"] == "30"
        assert poll.json()["error"]["code"] == "prefect_unavailable"
        assert prefect_url in poll.json()["error"]["message"]


def test_a_prefect_that_never_answers_costs_the_timeout_not_the_page(tmp_path: Path, silent_prefect: str) -> None:
    with api_world(tmp_path, prefect_api_url=silent_prefect, prefect_api_timeout_seconds=1) as world:
        started = time.monotonic()
        response = world.client.get(URL, params={"deployment": "poll-marketplace"})
        took = time.monotonic() - started

        assert response.status_code == 200
        assert response.json()["prefect_available"] is False
        assert response.json()["message"] == (
            f"The Prefect API at {silent_prefect} is not available: no answer within 1 s."
        )
        # The message says the 1 s timeout fired; the bound only shows the page did not hang (a busy
        # machine adds seconds to any request, and timings belong in make bench).
        assert 1 <= took < 30


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/api-500", "POST /deployments/filter answered 500 Internal Server Error"),
        ("/api-html", "POST /deployments/filter answered something that is not JSON"),
        ("/api-shape", "/deployments/filter answered in a shape this client does not know (4 problems)"),
    ],
)
def test_an_answer_that_is_not_prefects_is_one_error_naming_the_url(odd_server: str, path: str, reason: str) -> None:
    with PrefectApi(odd_server + path) as client, pytest.raises(PrefectUnavailableError) as raised:
        client.deployments(["poll-marketplace"])

    assert str(raised.value) == f"The Prefect API at {odd_server}{path} is not available: {reason}."


def test_a_flow_run_url_points_at_the_ui() -> None:
    run_id = uuid4()

    assert PrefectApi("http://prefect:4200/api/").flow_run_url(run_id) == f"http://prefect:4200/runs/flow-run/{run_id}"
    assert (
        PrefectApi("http://prefect:4200/api", ui_url="https://flows.example.com/").flow_run_url(run_id)
        == f"https://flows.example.com/runs/flow-run/{run_id}"
    )
