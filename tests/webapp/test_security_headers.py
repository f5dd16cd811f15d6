"""Response headers, production cookies, login throttling and ``next=`` redirects."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD, AuthActions, csrf_token
from tests.webapp.review_support import VIGNETTES, make_ready_recording
from webapp.extensions import db, limiter
from webapp.library.services import import_vignettes
from webapp.models import Role

EXPECTED = {
    "Permissions-Policy": "microphone=(self)",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


@pytest.mark.parametrize(
    "path", ["/login", "/healthz", "/readyz", "/static/app.css", "/no-such-page", "/library/"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    for header, fragment in EXPECTED.items():
        assert fragment in response.headers.get(header, ""), (path, header)
    assert response.headers["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin"}


def test_audio_is_not_embeddable_cross_origin(app, login_as):
    browser, trainee_id = login_as(Role.TRAINEE)
    with app.app_context():
        import_vignettes(VIGNETTES)
        recording_id = make_ready_recording(trainee_id)
        db.session.commit()
    response = browser.get(f"/practice/recordings/{recording_id}/audio")
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "Content-Disposition" not in response.headers


def test_production_cookies_are_secure_httponly_and_samesite(app_factory):
    app = app_factory(APP_ENV="production", LOG_JSON=False)
    with app.app_context():
        from webapp.admin.services import UserDetails, create_user

        details = UserDetails(
            email="p@example.test", name="P", roles=frozenset({Role.TRAINEE}), cohort_id=None
        )
        create_user(details, PASSWORD)
        db.session.commit()
    browser = app.test_client()
    response = AuthActions(browser).login("p@example.test")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_embedded_cookies_are_httponly_and_samesite(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _throttled_body(app, email):
    with app.app_context():
        limiter.reset()
    browser = app.test_client()
    codes = [AuthActions(browser).login(email, "wrong password").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    return AuthActions(browser).login(email, "wrong password").get_data(as_text=True)


def test_lockout_message_does_not_reveal_whether_an_account_exists(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    with app.app_context():
        from webapp.admin.services import UserDetails, create_user

        roles = frozenset({Role.TRAINEE})
        create_user(UserDetails("real@example.test", "R", roles, None), PASSWORD)
        db.session.commit()
    existing = _throttled_body(app, "real@example.test")
    unknown = _throttled_body(app, "nobody@example.test")
    assert existing == unknown
    assert "Too many attempts" in existing


CSRF_VALUE = re.compile(r'(?<=name="csrf_token" )(?:type="hidden" )?value="[^"]*"')


def test_failed_login_message_does_not_reveal_whether_an_account_exists(app, make_user):
    make_user(Role.TRAINEE, email="real@example.test")

    def failure(email: str) -> tuple[int, str]:
        browser = app.test_client()
        response = AuthActions(browser).login(email, "wrong password")
        html = response.get_data(as_text=True)
        # The form's CSRF token is signed with the time, so it differs from page to page
        # (and from second to second): compare the pages without it.
        return response.status_code, CSRF_VALUE.sub('value=""', html)

    existing, unknown = failure("real@example.test"), failure("nobody@example.test")
    assert existing[0] == unknown[0] == 401
    assert existing[1].replace("real@", "X@") == unknown[1].replace("nobody@", "X@")


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example/",
        "\\\\evil.example/",
        "https:evil.example",
        "///evil.example/",
        "/%2F%2Fevil.example",
        " //evil.example",
        "\t//evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    make_user(Role.TRAINEE, email="t@example.test")
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "t@example.test", "password": PASSWORD, "csrf_token": token},
    )
    location = response.headers["Location"]
    # Browsers read a backslash as a slash; Werkzeug percent-encodes it (%5C), which
    # keeps such targets a path on this site.
    as_browser_reads = location.strip().replace("\\", "/")
    assert as_browser_reads.startswith("/") and not as_browser_reads.startswith("//"), location
    assert urlsplit(as_browser_reads).netloc == "", location
