"""The flow runs page when Prefect does not answer (tests/test_flow_runs.py has it with a real server)."""

from pathlib import Path

from tests.page_fixtures import csrf_of, page_world, signed_in


def test_without_prefect_the_page_says_so_and_the_rest_of_the_dashboard_works(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        admin = signed_in(world, "ada", "admin")
        page = admin.get("/flow-runs")
        assert page.status_code == 200
        assert 'id="prefect-down"' in page.text and "Prefect does not answer" in page.text
        for other in ("/", "/queue", "/admin/users"):
            assert admin.get(other).status_code == 200, other
        started = admin.post("/flow-runs/poll", data={"csrf_token": csrf_of(page)})
        assert started.status_code == 503
        assert "No poll was started" in started.text
        fragment = admin.get("/flow-runs", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and "Prefect does not answer" in fragment.text


def test_a_clerk_sees_the_runs_but_cannot_start_a_poll(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/flow-runs")
        assert page.status_code == 200 and "Poll now" not in page.text
        assert clerk.post("/flow-runs/poll", data={"csrf_token": csrf_of(page)}).status_code == 403
