"""Every route, walked: no POST without a CSRF token, no GET that changes data.

Both tests enumerate ``app.url_map``, so a new route is covered without touching them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from tests.conftest import AuthActions
from tests.webapp import test_access_matrix as access_matrix
from webapp.extensions import db
from webapp.models import Role
from webapp.review.instruments import ensure_instruments

EVERY_ROLE = tuple(Role)

# What a GET may legitimately write, and why (see also ``seeded_instruments``):
# - audit_events: reads of recordings, refused requests and logins are audited by design
#   (append-only, written in the same transaction as the request).
# - users.last_login_at and users.password_hash: the login that starts each walk stamps
#   the time and may re-hash the password; both are written by POST /login, before the
#   snapshot, and listed only so a re-hash on a later request cannot flake the test.
IGNORED_TABLES = {"audit_events"}
IGNORED_COLUMNS = {("users", "last_login_at"), ("users", "password_hash")}


# Path parameters for every route: the access-matrix walk's fixture, kept up to date
# by whoever adds a route.
url_args = access_matrix.url_args


@pytest.fixture(autouse=True)
def seeded_instruments(app):
    """GET /review/instruments seeds the bundled instrument definitions on first use
    (idempotent, the same rows every time); seed them first so the walk sees the steady
    state."""
    with app.app_context():
        ensure_instruments()
        db.session.commit()


def urls_for(app, url_args, method):
    """(endpoint, url) for every rule accepting ``method``, parameters filled in."""
    with app.test_request_context():
        rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint)
        return [
            (rule.endpoint, url_for(rule.endpoint, **{n: url_args[n] for n in rule.arguments}))
            for rule in rules
            if method in (rule.methods or ())
        ]


def logged_in(app, make_user, *roles):
    email = f"walker-{len(roles)}-{roles[0]}@example.test"
    make_user(*roles, email=email)
    browser = app.test_client()
    assert AuthActions(browser).login(email).status_code == 302
    return browser


def row_counts(app):
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def snapshot(app):
    """Every row of every table (but the documented exclusions), as sortable text."""
    with app.app_context():
        state = {}
        for table in db.metadata.sorted_tables:
            if table.name in IGNORED_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            rows = db.session.execute(sa.select(*columns)).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
        db.session.rollback()
        return state


def test_every_post_route_refuses_a_missing_csrf_token(app, url_args, make_user):
    browser = logged_in(app, make_user, *EVERY_ROLE)  # may use every route
    before = row_counts(app)
    posts = urls_for(app, url_args, "POST")
    assert len(posts) > 20
    for endpoint, url in posts:
        for body in ({"data": {"name": "x"}}, {"data": b"\x00" * 8, "headers": _raw_headers()}):
            response = browser.post(url, **body)
            assert response.status_code == 400, f"{endpoint} accepted a POST without CSRF"
    assert row_counts(app) == before


def _raw_headers():
    return {"Content-Type": "application/octet-stream"}


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_no_get_route_changes_data(app, url_args, make_user, role):
    browser = logged_in(app, make_user, role)
    before = snapshot(app)
    for endpoint, url in urls_for(app, url_args, "GET"):
        if endpoint == "ops.readyz":
            continue  # answers 200 or 503 and writes nothing; checked in test_ops_health
        response = browser.get(url)
        assert response.status_code < 500, f"{endpoint} crashed for {role}"
        after = snapshot(app)
        changed = [name for name in before if before[name] != after[name]]
        assert changed == [], f"GET {endpoint} as {role} changed {changed}"
