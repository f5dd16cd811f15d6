"""Admin pages for users and cohorts, with their bad-input cases."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Cohort, Role, User


def user_by_email(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return (
            (user.id, user.name, sorted(user.roles), user.cohort_id, user.active) if user else None
        )


def test_admin_creates_a_user_with_roles_and_cohort(app, login_as, make_cohort, form_post):
    cohort_id = make_cohort("Site A")
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        "/admin/users/new",
        {
            "email": "New@Example.test",
            "name": "Nia New",
            "roles": ["trainee", "actor"],
            "cohort": str(cohort_id),
            "password": "a long enough secret",
        },
        "/admin/users/new",
    )
    assert response.status_code == 302
    _, name, roles, cohort, active = user_by_email(app, "new@example.test")
    assert (name, roles, cohort, active) == ("Nia New", ["actor", "trainee"], cohort_id, True)
    assert "Nia New" in admin.get("/admin/users").get_data(as_text=True)


def test_duplicate_email_gets_a_clear_message_and_nothing_changes(
    app, login_as, make_user, form_post
):
    make_user(Role.TRAINEE, email="taken@example.test")
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        "/admin/users/new",
        {
            "email": "taken@example.test",
            "name": "Someone",
            "roles": ["rater"],
            "cohort": "",
            "password": "a long enough secret",
        },
        "/admin/users/new",
    )
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_user_without_role_is_refused(login_as, form_post):
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        "/admin/users/new",
        {"email": "x@example.test", "name": "X", "cohort": "", "password": "a long enough secret"},
        "/admin/users/new",
    )
    assert response.status_code == 422
    assert "Choose at least one role" in response.get_data(as_text=True)


def test_unknown_cohort_is_refused(login_as, form_post):
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        "/admin/users/new",
        {
            "email": "x@example.test",
            "name": "X",
            "roles": ["trainee"],
            "cohort": "999",
            "password": "a long enough secret",
        },
        "/admin/users/new",
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_admin_edits_roles_and_cohort(app, login_as, make_user, make_cohort, form_post):
    cohort_id = make_cohort("2026 spring intake")
    user_id = make_user(Role.TRAINEE, email="t@example.test")
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        f"/admin/users/{user_id}",
        {
            "email": "t@example.test",
            "name": "Renamed",
            "roles": ["trainee", "rater"],
            "cohort": str(cohort_id),
        },
        f"/admin/users/{user_id}",
    )
    assert response.status_code == 302
    assert user_by_email(app, "t@example.test")[1:4] == ("Renamed", ["rater", "trainee"], cohort_id)
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "user.updated"
        assert event.detail["changed"]["roles"] == ["rater", "trainee"]
        assert event.detail["changed"]["name"] == "changed"  # names stay out of the log


def test_admin_cannot_deactivate_themselves(app, login_as, form_post):
    admin, admin_id = login_as(Role.ADMIN)
    response = form_post(
        admin, f"/admin/users/{admin_id}/deactivate", {}, f"/admin/users/{admin_id}"
    )
    assert response.status_code == 302
    assert "cannot deactivate your own account" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(User, admin_id).active


def test_reactivated_user_can_log_in_again(app, login_as, make_user, form_post, auth):
    user_id = make_user(Role.TRAINEE, email="t@example.test")
    admin, _ = login_as(Role.ADMIN)
    form_post(admin, f"/admin/users/{user_id}/deactivate", {}, f"/admin/users/{user_id}")
    assert auth.login("t@example.test").status_code == 401
    form_post(admin, f"/admin/users/{user_id}/reactivate", {}, f"/admin/users/{user_id}")
    assert auth.login("t@example.test").status_code == 302


def test_admin_resets_a_password(app, login_as, make_user, form_post, auth):
    user_id = make_user(Role.TRAINEE, email="t@example.test")
    admin, _ = login_as(Role.ADMIN)
    response = form_post(
        admin,
        f"/admin/users/{user_id}/password",
        {"password": "another long secret"},
        f"/admin/users/{user_id}",
    )
    assert response.status_code == 302
    assert auth.login("t@example.test", "another long secret").status_code == 302


def test_cohorts_are_created_renamed_and_duplicates_refused(app, login_as, form_post):
    admin, _ = login_as(Role.ADMIN)
    assert (
        form_post(admin, "/admin/cohorts", {"name": "Site A"}, "/admin/cohorts").status_code == 302
    )
    duplicate = form_post(admin, "/admin/cohorts", {"name": "Site A"}, "/admin/cohorts")
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.get_data(as_text=True)
    with app.app_context():
        cohort_id = db.session.scalar(sa.select(Cohort.id))
    renamed = form_post(
        admin, f"/admin/cohorts/{cohort_id}", {"name": "Site B"}, f"/admin/cohorts/{cohort_id}"
    )
    assert renamed.status_code == 302
    assert "Site B" in admin.get("/admin/cohorts").get_data(as_text=True)


def test_audit_log_page_lists_events(login_as):
    admin, _ = login_as(Role.ADMIN)
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "login.succeeded" in html
    filtered = admin.get("/admin/audit?action=login.failed").get_data(as_text=True)
    assert "login.succeeded</td>" not in filtered


def test_missing_user_is_404(login_as):
    admin, _ = login_as(Role.ADMIN)
    assert admin.get("/admin/users/9999").status_code == 404
