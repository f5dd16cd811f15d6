"""Instruments as stored versions, and the admin page that adds new ones."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
import yaml

from rating.instruments import load_builtin_instruments
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import AuditEvent, InstrumentVersion, Role
from webapp.review import instruments as service

DEMO = {
    "slug": "demo-skills",
    "version": 1,
    "title": "Demo skills",
    "description": "A two-point try-out.",
    "scale": {"min": 1, "max": 2},
    "dimensions": [
        {
            "key": "warmth",
            "label": "Warmth",
            "description": "Tone.",
            "anchors": {1: "Cold.", 2: "Warm."},
        }
    ],
}


def versions(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(InstrumentVersion).order_by(InstrumentVersion.id))
        return [(v.slug, v.version, v.is_default) for v in rows]


def test_built_in_instruments_are_stored_once(app):
    with app.app_context():
        assert len(service.ensure_instruments()) == 2
        assert service.ensure_instruments() == []
        db.session.commit()
    assert sorted(versions(app)) == [("seven-skills", 1, False), ("simulated-client", 1, True)]


def test_a_changed_built_in_file_becomes_a_new_version(app, monkeypatch):
    with app.app_context():
        service.ensure_instruments()
        builtins = load_builtin_instruments()
        changed = dataclasses.replace(builtins["simulated-client"], title="Renamed skills")
        monkeypatch.setattr(
            service, "load_builtin_instruments", lambda: {**builtins, "simulated-client": changed}
        )
        (row,) = service.ensure_instruments()
        db.session.commit()
        assert (row.version, row.title, row.is_default) == (2, "Renamed skills", True)
        assert service.get_rating_instrument().version == 2
        assert service.instrument_of(row) == dataclasses.replace(changed, version=2)


@pytest.fixture
def admin(login_as):
    browser, _ = login_as(Role.ADMIN)
    return browser


def post_definition(browser, text):
    token = csrf_token(browser, "/review/instruments")
    return browser.post("/review/instruments", data={"definition": text, "csrf_token": token})


def test_the_admin_page_lists_versions_and_stores_a_new_instrument(app, admin):
    page = admin.get("/review/instruments").get_data(as_text=True)
    assert "simulated-client" in page and "seven-skills" in page
    response = post_definition(admin, yaml.safe_dump(DEMO))
    assert response.status_code == 303
    assert ("demo-skills", 1, False) in versions(app)
    again = post_definition(admin, yaml.safe_dump({**DEMO, "version": 5}))
    assert again.status_code == 409
    assert "identical to the stored version 1" in again.get_data(as_text=True)
    changed = {**DEMO, "title": "Demo skills, revised"}
    assert post_definition(admin, yaml.safe_dump(changed)).status_code == 303
    assert ("demo-skills", 2, False) in versions(app)
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions.count("instrument.versioned") == 4


BAD_DEFINITIONS = [
    ("empty", "", "Paste an instrument definition"),
    ("not yaml", "slug: [unclosed", "definition: not valid YAML"),
    ("not a mapping", "- just\n- a list", "must be a YAML mapping"),
    (
        "missing anchor",
        yaml.safe_dump({**DEMO, "scale": {"min": 1, "max": 3}}),
        "definition: dimensions[0].anchors: missing anchor for score 3",
    ),
    (
        "bad slug",
        yaml.safe_dump({**DEMO, "slug": "Demo Skills"}),
        "slug: &#39;Demo Skills&#39; does not match",
    ),
    ("typo", yaml.safe_dump({**DEMO, "titel": "x"}), "unknown field &#39;titel&#39;"),
]


@pytest.mark.parametrize(
    ("case", "text", "message"), BAD_DEFINITIONS, ids=[b[0] for b in BAD_DEFINITIONS]
)
def test_bad_definitions_get_a_precise_message_and_store_nothing(app, admin, case, text, message):
    admin.get("/review/instruments")
    before = versions(app)
    response = post_definition(admin, text)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert versions(app) == before


def test_retiring_a_version_stops_new_allocations_using_it(app, admin):
    admin.get("/review/instruments")
    with app.app_context():
        version_id = db.session.scalar(
            sa.select(InstrumentVersion.id).filter_by(slug="simulated-client")
        )
    token = csrf_token(admin, "/review/instruments")
    response = admin.post(f"/review/instruments/{version_id}/retire", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(InstrumentVersion, version_id).retired_at is not None
        with pytest.raises(Exception, match="retired"):
            service.get_rating_instrument()
