"""Every route against an explicit role matrix.  Default deny.

Adding a route without adding it here fails ``test_matrix_covers_every_route``; a
route that declares no roles fails ``test_every_view_declares_its_access`` and is
refused at run time (``test_undeclared_route_is_denied``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for

from tests.conftest import AuthActions, csrf_token
from webapp.access import ACCESS_ATTRIBUTE, ANY_USER, PUBLIC
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Role

ADMIN = frozenset({Role.ADMIN})
EDITORS = frozenset({Role.EDUCATOR, Role.ADMIN})
READERS = frozenset({Role.TRAINEE, Role.ACTOR, Role.EDUCATOR, Role.ADMIN})
TRAINEES = frozenset({Role.TRAINEE})
RECORDING_VIEWERS = frozenset({Role.TRAINEE, Role.EDUCATOR, Role.ADMIN})
RESPONDENTS = frozenset({Role.TRAINEE, Role.ACTOR})
RATERS = frozenset({Role.RATER})

MATRIX: dict[str, object] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.change_password": ANY_USER,
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    "home.index": ANY_USER,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.reset_user_password": ADMIN,
    "admin.deactivate_user": ADMIN,
    "admin.reactivate_user": ADMIN,
    "admin.cohorts": ADMIN,
    "admin.edit_cohort": ADMIN,
    "admin.audit_log": ADMIN,
    "library.index": READERS,
    "library.show": READERS,
    "library.new": EDITORS,
    "library.edit": EDITORS,
    "library.retire": EDITORS,
    "library.restore": EDITORS,
    "library.export": EDITORS,
    "reports.index": EDITORS,
    "reports.reliability": EDITORS,
    "reports.reliability_json": EDITORS,
    "reports.reliability_csv": EDITORS,
    "reports.compare": EDITORS,
    "reports.compare_json": EDITORS,
    "reports.compare_svg": EDITORS,
    "reports.scale_checks": EDITORS,
    "dashboard.index": EDITORS,
    "dashboard.trainee": EDITORS,
    "dashboard.trainee_svg": EDITORS,
    "dashboard.cohort": EDITORS,
    "dashboard.cohort_svg": EDITORS,
    "dashboard.assignments": EDITORS,
    "estimates.index": EDITORS,
    "estimates.learning_curve": EDITORS,
    "estimates.card_json": EDITORS,
    "estimates.recording": EDITORS,
    "estimates.trainee_access": EDITORS,
    "feedback.index": EDITORS,
    "feedback.release": EDITORS,
    "feedback.shared_notes": EDITORS,
    "feedback.recording": TRAINEES,
    "feedback.recording_json": TRAINEES,
    "feedback.progress": TRAINEES,
    "feedback.progress_chart": TRAINEES,
    "feedback.note": TRAINEES,
    "feedback.access": TRAINEES,
    "practice.index": TRAINEES,
    "practice.start": TRAINEES,
    "practice.upload": TRAINEES,
    "practice.show": RECORDING_VIEWERS,
    "practice.chunk": TRAINEES,
    "practice.finish": TRAINEES,
    "practice.status": RECORDING_VIEWERS,
    "practice.audio_file": RECORDING_VIEWERS,
    "practice.transcript_json": RECORDING_VIEWERS,
    "practice.transcript_edit": RECORDING_VIEWERS,
    "practice.retry": EDITORS,
    "practice.delete": frozenset({Role.TRAINEE, Role.ADMIN}),
    "moderation.index": EDITORS,
    "moderation.adjudication_queue": EDITORS,
    "moderation.adjudicate": EDITORS,
    "moderation.calibration_index": EDITORS,
    "moderation.gold_standard": EDITORS,
    "moderation.rater_calibration": EDITORS,
    "moderation.assign_calibration": EDITORS,
    "moderation.slip_in": EDITORS,
    "moderation.record_calibration": EDITORS,
    "moderation.companion_index": RESPONDENTS,
    "moderation.companion_form": RESPONDENTS,
    "moderation.companion_responses": EDITORS,
    "review.index": RATERS,
    "review.rate": RATERS,
    "review.save": RATERS,
    "review.data": RATERS,
    "review.audio": RATERS,
    "review.recuse": RATERS,
    "review.instruments": ADMIN,
    "review.retire_instrument": ADMIN,
    "privacy.consent": RESPONDENTS,
    "privacy.exemplars": RECORDING_VIEWERS,
    "privacy.new_exemplar": EDITORS,
    "privacy.exemplar_audio": RECORDING_VIEWERS,
    "privacy.actor_consent": RECORDING_VIEWERS,
    "privacy.user_export": ADMIN,
    "privacy.user_delete": ADMIN,
    "exports.index": EDITORS,
    "exports.download": EDITORS,
}

VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"


def test_matrix_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - MATRIX.keys() == set(), "new route: add it to MATRIX with its roles"
    assert MATRIX.keys() - endpoints == set(), "MATRIX names a route that no longer exists"


def test_every_view_declares_its_access(app):
    for endpoint, expected in MATRIX.items():
        declared = getattr(app.view_functions[endpoint], ACCESS_ATTRIBUTE, None)
        assert declared == expected, endpoint


def test_undeclared_route_is_denied(app, login_as):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    browser, _ = login_as(Role.ADMIN)
    response = browser.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


@pytest.fixture
def url_args(app, make_user, make_cohort):
    target_user = make_user(Role.TRAINEE, email="target@example.test")
    cohort = make_cohort("Matrix cohort")
    with app.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    slug = sorted(p.stem for p in VIGNETTES.glob("*.yaml"))[0]
    with app.app_context():
        from webapp.models import User, Vignette
        from webapp.practice.services import ActorChoice, start_session

        owner = db.session.get(User, target_user)
        vignette = db.session.scalar(db.select(Vignette).filter_by(slug=slug))
        recording = start_session(owner, vignette, ActorChoice(actor_name="Someone"))
        db.session.commit()
        recording_id = recording.id
    return {
        "user_id": target_user,
        "cohort_id": cohort,
        "slug": slug,
        "filename": "app.css",
        "recording_id": recording_id,
        "seq": 0,
        "rater_id": target_user,
        "kind": "trainee",
        "code": "R-2345-6789",
        "version_id": 1,
        "dataset": "ratings",
        "fmt": "csv",
        "exemplar_id": 1,
    }


def requests_for(app, url_args):
    """(endpoint, method, url) for every route, filling path parameters.

    Built as a list so the request context is gone before any request is sent: a
    shared context would share ``g`` and with it a cached CSRF token.
    """
    with app.test_request_context():
        return [
            (
                rule.endpoint,
                "GET" if "GET" in rule.methods else "POST",
                url_for(rule.endpoint, **{name: url_args[name] for name in rule.arguments}),
            )
            for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)
        ]


def send(browser, method, url, token_page="/"):
    if method == "GET":
        return browser.get(url)
    return browser.post(url, data={"csrf_token": csrf_token(browser, token_page)})


def expected_outcome(access, roles):
    if access in (PUBLIC, ANY_USER):
        return "allowed"
    return "allowed" if roles & access else "denied"


def test_anonymous_visitors_reach_only_public_routes(app, url_args):
    for endpoint, method, url in requests_for(app, url_args):
        response = send(app.test_client(), method, url, token_page="/login")
        if MATRIX[endpoint] == PUBLIC:
            assert response.status_code in (200, 302), endpoint
            assert not response.headers.get("Location", "").startswith("/login?next"), endpoint
        else:
            assert response.status_code == 302, endpoint
            assert response.headers["Location"].startswith("/login?next="), endpoint


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_its_routes(app, url_args, make_user, role):
    email = f"matrix-{role}@example.test"
    make_user(role, email=email)
    browser = app.test_client()
    assert AuthActions(browser).login(email).status_code == 302
    for endpoint, method, url in requests_for(app, url_args):
        if endpoint == "auth.logout":
            continue  # would end the session the rest of the walk needs
        response = send(browser, method, url)
        outcome = expected_outcome(MATRIX[endpoint], frozenset({role}))
        if outcome == "denied":
            assert response.status_code == 403, f"{role} reached {endpoint}"
        else:
            # Through the access layer; the view itself may still answer 404 (not your
            # recording) or 409/422 (nothing to finish), but never 403 or a login page.
            assert response.status_code != 403, f"{role} refused {endpoint}"
            assert response.status_code < 500, f"{endpoint} crashed for {role}"
            assert not response.headers.get("Location", "").startswith("/login"), endpoint


def test_denied_access_is_audited(app, login_as):
    browser, user_id = login_as(Role.RATER)
    assert browser.get("/admin/users").status_code == 403
    with app.app_context():
        from webapp.models import AuditEvent

        event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "access.denied"
        assert event.actor_id == user_id
        assert event.detail["endpoint"] == "admin.users"
