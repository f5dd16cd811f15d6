"""Logging in and out, password changes, session endings, throttling."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher

from tests.conftest import PASSWORD, AuthActions, csrf_token
from webapp.auth.views import LOGIN_FAILED_MESSAGE
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User


def audit_actions(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_login_page_has_email_password_and_csrf_fields(client):
    html = client.get("/login").get_data(as_text=True)
    for name in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert name in html


def test_valid_login_redirects_home_and_is_audited(app, client, auth, make_user):
    make_user(Role.RATER, email="rater@example.test")
    response = auth.login("rater@example.test")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Rating" in client.get("/").get_data(as_text=True)
    assert audit_actions(app)[-1] == "login.succeeded"


def test_email_is_case_insensitive(client, auth, make_user):
    make_user(Role.RATER, email="rater@example.test")
    assert auth.login("  Rater@Example.TEST ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_generic_answer(app, auth, make_user):
    make_user(Role.TRAINEE, email="t@example.test")
    wrong = auth.login("t@example.test", "not the password")
    unknown = auth.login("nobody@example.test", "whatever it is")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert LOGIN_FAILED_MESSAGE in response.get_data(as_text=True)
    assert audit_actions(app)[-2:] == ["login.failed", "login.failed"]


def test_deactivated_user_cannot_log_in(app, auth, make_user):
    user_id = make_user(Role.TRAINEE, email="t@example.test")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = auth.login("t@example.test")
    assert response.status_code == 401
    assert LOGIN_FAILED_MESSAGE in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user(Role.TRAINEE, email="t@example.test")
    client.get("/login")
    response = client.post("/login", data={"email": "t@example.test", "password": PASSWORD})
    assert response.status_code == 400


def test_two_clients_can_log_in_one_after_the_other(app, make_user):
    # pytest-flask shares one request context and leaks CSRF tokens between clients.
    make_user(Role.TRAINEE, email="a@example.test")
    make_user(Role.TRAINEE, email="b@example.test")
    assert AuthActions(app.test_client()).login("a@example.test").status_code == 302
    assert AuthActions(app.test_client()).login("b@example.test").status_code == 302


def test_next_parameter_only_redirects_within_the_site(client, make_user):
    make_user(Role.TRAINEE, email="t@example.test")
    for target, expected in [
        ("/library/", "/library/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        browser = client.application.test_client()
        token = csrf_token(browser)
        response = browser.post(
            f"/login?next={target}",
            data={"email": "t@example.test", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected, target


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/library/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/library/")


def test_logout_needs_post_and_ends_the_session(client, auth, make_user):
    make_user(Role.TRAINEE, email="t@example.test")
    auth.login("t@example.test")
    assert client.get("/logout").status_code == 200  # a confirmation page, still logged in
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_password_is_hashed_with_argon2id(app, make_user):
    user_id = make_user(Role.TRAINEE)
    with app.app_context():
        assert db.session.get(User, user_id).password_hash.startswith("$argon2id$")


def test_login_rehashes_when_parameters_change(app, make_user):
    user_id = make_user(Role.TRAINEE, email="t@example.test")
    app.config["ARGON2_TIME_COST"] = 2
    with app.app_context():
        old_hash = db.session.get(User, user_id).password_hash
    AuthActions(app.test_client()).login("t@example.test")
    with app.app_context():
        new_hash = db.session.get(User, user_id).password_hash
    assert new_hash != old_hash
    assert "t=2" in new_hash
    assert PasswordHasher().verify(new_hash, PASSWORD)


def test_changing_password_ends_other_sessions_but_keeps_this_one(app, make_user, form_post):
    make_user(Role.TRAINEE, email="t@example.test")
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login("t@example.test")
    AuthActions(phone).login("t@example.test")
    response = form_post(
        laptop,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
        "/account/password",
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302  # sent back to login
    assert (
        AuthActions(app.test_client()).login("t@example.test", "a brand new secret").status_code
        == 302
    )


def test_password_change_with_wrong_current_password_changes_nothing(app, make_user, form_post):
    make_user(Role.TRAINEE, email="t@example.test")
    browser = app.test_client()
    AuthActions(browser).login("t@example.test")
    response = form_post(
        browser,
        "/account/password",
        {
            "current_password": "wrong wrong",
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
        "/account/password",
    )
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)
    assert AuthActions(app.test_client()).login("t@example.test").status_code == 302


def test_deactivating_a_user_ends_their_sessions(app, login_as, make_user, form_post):
    admin, _ = login_as(Role.ADMIN)
    trainee = app.test_client()
    trainee_id = make_user(Role.TRAINEE, email="t@example.test")
    AuthActions(trainee).login("t@example.test")
    assert trainee.get("/").status_code == 200
    response = form_post(
        admin, f"/admin/users/{trainee_id}/deactivate", {}, f"/admin/users/{trainee_id}"
    )
    assert response.status_code == 302
    assert trainee.get("/").status_code == 302


def test_login_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    browser = app.test_client()
    codes = [
        AuthActions(browser).login("x@example.test", "wrong password").status_code for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert "Too many attempts" in AuthActions(browser).login("x@example.test").get_data(
        as_text=True
    )
