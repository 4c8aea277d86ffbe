"""Who may open the dashboard's pages, sign-in and sign-out, and CSRF on every state change."""

from pathlib import Path

import pytest

from tests.api_fixtures import ONE_CENT_OFF, PASSWORD
from tests.page_fixtures import create_person, csrf_of, page_world, signed_in


def test_a_visitor_is_sent_to_sign_in_and_back_to_the_page_asked_for(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        visitor = world.anonymous_client()
        answer = visitor.get("/admin/users?x=1", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=%2Fadmin%2Fusers%3Fx%3D1")
        create_person(world, "ada", "admin")
        form = visitor.get(answer.headers["location"])
        assert 'name="next" value="/admin/users?x=1"' in form.text
        signed = visitor.post(
            "/login",
            data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_of(form), "next": "/admin/users?x=1"},
            follow_redirects=False,
        )
        assert (signed.status_code, signed.headers["location"]) == (303, "/admin/users?x=1")
        assert visitor.get("/admin/users").status_code == 200


def test_htmx_requests_without_a_session_are_told_where_to_sign_in(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        answer = world.anonymous_client().get("/entries/1", headers={"HX-Request": "true"}, follow_redirects=False)
        assert (answer.status_code, answer.headers["HX-Redirect"]) == (401, "/login?next=%2Fentries%2F1")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_sign_in_never_sends_a_person_to_another_site(tmp_path: Path, target: str) -> None:
    with page_world(tmp_path) as world:
        create_person(world, "cleo", "clerk")
        client = world.anonymous_client()
        form = client.get("/login")
        answer = client.post(
            "/login",
            data={"username": "cleo", "password": PASSWORD, "csrf_token": csrf_of(form), "next": target},
            follow_redirects=False,
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/")


def test_a_wrong_password_or_a_missing_form_token_signs_nobody_in(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        create_person(world, "cleo", "clerk")
        client = world.anonymous_client()
        form = client.get("/login")
        wrong = client.post("/login", data={"username": "cleo", "password": "nope", "csrf_token": csrf_of(form)})
        assert wrong.status_code == 401
        assert "Wrong username or password" in wrong.text
        forged = world.anonymous_client().post("/login", data={"username": "cleo", "password": PASSWORD})
        assert forged.status_code == 403
        assert "ia_session" not in forged.cookies


def test_a_clerk_gets_403_on_admin_pages_and_a_bot_key_on_every_page(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        for path in ("/admin/users", "/admin/api-keys", "/admin/webhooks"):
            answer = clerk.get(path)
            assert answer.status_code == 403, path
            assert "for administrators" in answer.text
        bot = world.anonymous_client()
        for path in ("/admin/users", "/entries/1"):
            assert bot.get(path, headers=world.headers("bot")).status_code == 403, path


def test_sign_out_ends_the_session(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        session = clerk.cookies["ia_session"]
        page = clerk.get("/entries/1")
        answer = clerk.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        replayed = world.anonymous_client()
        replayed.cookies.set("ia_session", session)
        assert replayed.get("/entries/1", follow_redirects=False).status_code == 303
        assert (
            world.anonymous_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session}"}).status_code
            == 401
        )


def test_a_state_change_without_the_csrf_token_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        assert world.validate(1).status_code == 400  # manual review
        admin = signed_in(world, "ada", "admin")
        before = world.process_row_counts()
        attempts = [
            ("/entries/1/approve", {"reason": "fine"}),
            ("/entries/1/reject", {"reason": "no"}),
            ("/admin/users", {"username": "mallory", "password": "x" * 20, "role": "admin"}),
            ("/admin/api-keys", {"name": "evil-bot"}),
            ("/logout", {}),
        ]
        for path, data in attempts:
            for token in (None, "0" * 64):
                sent = data if token is None else {**data, "csrf_token": token}
                answer = admin.post(path, data=sent, follow_redirects=False)
                assert answer.status_code == 403, (path, token)
        assert world.process_row_counts() == before
        assert [user.username for user in world.store().accounts.list_users()] == ["ada", "test-clerk"]
        assert world.store().accounts.list_api_keys() == []
        assert admin.get("/admin/users").status_code == 200  # still signed in
