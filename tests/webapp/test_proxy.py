"""Behind a reverse proxy (``PROXY_FIX_HOPS``): client address, scheme and host come from the
proxy's X-Forwarded-* headers, and only from as many proxies as configured."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify, request, url_for

from tests.conftest import AuthActions, csrf_token, make_test_config
from webapp import create_app
from webapp.access import public
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import AuditEvent

PROXY = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def with_probe(app):
    """Add a public page that reports what the app believes about the request."""

    @public
    def probe():
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            login_url=url_for("auth.login", _external=True),
        )

    app.add_url_rule("/_probe", "probe", probe)
    return app


def seen(app, headers):
    return app.test_client().get("/_probe", headers=headers).get_json()


def test_one_hop_takes_address_scheme_and_host_from_the_proxy(app_factory):
    app = with_probe(app_factory(PROXY_FIX_HOPS=1))
    got = seen(app, {**PROXY, "X-Forwarded-Host": "simclient.example.org"})
    assert got["remote_addr"] == "203.0.113.7"
    assert got["scheme"] == "https"
    assert got["login_url"] == "https://simclient.example.org/login"


def test_one_hop_trusts_only_the_address_the_proxy_appended(app_factory):
    # A client may send its own X-Forwarded-For; nginx appends the real address after it.
    app = with_probe(app_factory(PROXY_FIX_HOPS=1))
    got = seen(app, {"X-Forwarded-For": "10.9.9.9, 203.0.113.7"})
    assert got["remote_addr"] == "203.0.113.7"


def test_without_hops_forwarded_headers_are_ignored(app_factory):
    app = with_probe(app_factory())  # the default: PROXY_FIX_HOPS=0
    got = seen(app, {**PROXY, "X-Forwarded-Host": "evil.example"})
    assert got["remote_addr"] == "127.0.0.1"
    assert got["scheme"] == "http"
    assert got["login_url"] == "http://localhost/login"


def failed_logins(app, forwarded_for: str, count: int) -> list[int]:
    browser = app.test_client()
    browser.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return [
        AuthActions(browser).login("nobody@example.test", "wrong password").status_code
        for _ in range(count)
    ]


def test_login_rate_limit_counts_per_forwarded_client(app_factory):
    app = app_factory(PROXY_FIX_HOPS=1, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    assert failed_logins(app, "203.0.113.7", 3) == [401, 401, 429]
    # Another client behind the same proxy still has its own allowance.
    assert failed_logins(app, "203.0.113.8", 2) == [401, 401]
    with app.app_context():
        addresses = set(db.session.scalars(sa.select(AuditEvent.ip)))
    assert {"203.0.113.7", "203.0.113.8"} <= addresses


def test_without_hops_a_spoofed_address_does_not_escape_the_rate_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    assert failed_logins(app, "203.0.113.7", 2) == [401, 401]
    assert failed_logins(app, "203.0.113.8", 1) == [429]
    with app.app_context():
        addresses = set(db.session.scalars(sa.select(AuditEvent.ip)))
    assert "203.0.113.7" not in addresses and "203.0.113.8" not in addresses


def login_over_https(app, referrer: str):
    browser = app.test_client()
    browser.environ_base.update(
        {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https"}
    )
    token = csrf_token(browser)
    return browser.post(
        "/login",
        data={"email": "nobody@example.test", "password": "wrong", "csrf_token": token},
        headers={"Referer": referrer},
    )


def test_behind_https_proxy_forms_work_and_foreign_referrers_are_refused(app_factory):
    # Over https Flask-WTF also checks that the Referer is this site; that check needs the
    # scheme and host the proxy reports.
    app = app_factory(PROXY_FIX_HOPS=1)
    assert login_over_https(app, "https://localhost/login").status_code == 401
    assert login_over_https(app, "https://evil.example/login").status_code == 400


def test_negative_hops_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="PROXY_FIX_HOPS"):
        create_app(make_test_config(tmp_path, PROXY_FIX_HOPS=-1))


def test_hops_are_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_FIX_HOPS", "1")
    app = with_probe(create_app(make_test_config(tmp_path)))
    assert seen(app, PROXY)["remote_addr"] == "203.0.113.7"
