"""Admin pages: thin views over ``webapp.admin.services``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.admin import bp
from webapp.admin.forms import (
    NO_COHORT,
    ActivationForm,
    CohortForm,
    NewUserForm,
    ResetPasswordForm,
    UserForm,
    cohort_choices,
)
from webapp.admin.services import (
    UserDetails,
    create_cohort,
    create_user,
    list_cohorts,
    parse_roles,
    reset_password,
    set_active,
    update_cohort,
    update_user,
)
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import ROLE_LABELS, AuditEvent, Cohort, Role, User, UserRole

AUDIT_PAGE_SIZE = 50


def _with_cohorts(form: UserForm) -> UserForm:
    form.cohort.choices = cohort_choices([(c.id, c.name) for c in list_cohorts()])
    return form


def _details(form: UserForm) -> UserDetails:
    cohort = form.cohort.data
    return UserDetails(
        email=form.email.data or "",
        name=form.name.data or "",
        roles=parse_roles(form.roles.data or []),
        cohort_id=None if cohort in (None, NO_COHORT) else int(cohort),
    )


@bp.route("/users")
@roles_required(Role.ADMIN)
def users() -> Any:
    role = request.args.get("role", "")
    query = sa.select(User).order_by(User.active.desc(), User.name)
    if role in {r.value for r in Role}:
        query = query.where(User.role_rows.any(UserRole.role == role))
    rows = db.session.scalars(query.options(sa.orm.joinedload(User.cohort))).unique().all()
    return render_template(
        "admin/users.html", users=rows, role=role, roles=list(Role), role_labels=ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> Any:
    form = _with_cohorts(NewUserForm())
    if form.validate_on_submit():
        try:
            user = create_user(_details(form), form.password.data or "")
        except DomainError as error:
            flash(error.message, "error")
            return render_template("admin/user_form.html", form=form, user=None), error.status
        db.session.commit()
        flash(f"{user.name} can now log in.", "success")
        return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = _with_cohorts(UserForm(obj=None if request.method == "POST" else user))
    if request.method == "GET":
        form.roles.data = [row.role for row in user.role_rows]
        form.cohort.data = str(user.cohort_id) if user.cohort_id else NO_COHORT
    if form.validate_on_submit():
        try:
            update_user(user, _details(form))
        except DomainError as error:
            flash(error.message, "error")
            return _render_edit(user, form), error.status
        db.session.commit()
        flash("Saved.", "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return _render_edit(user, form), 422 if form.errors else 200


def _render_edit(user: User, form: UserForm) -> str:
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        password_form=ResetPasswordForm(),
        activation_form=ActivationForm(),
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_user_password(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        flash("Use a new password of at least 10 characters.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        reset_password(user, form.password.data or "")
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    flash(f"Password changed; {user.name} has been logged out everywhere.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate_user(user_id: int) -> Any:
    return _change_activation(user_id, active=False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate_user(user_id: int) -> Any:
    return _change_activation(user_id, active=True)


def _change_activation(user_id: int, *, active: bool) -> Any:
    user = db.get_or_404(User, user_id)
    if not ActivationForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        set_active(user, active, acting_user=current_user._get_current_object())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    state = "reactivated" if active else "deactivated and logged out"
    flash(f"{user.name} is {state}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/cohorts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def cohorts() -> Any:
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = create_cohort(form.name.data or "", form.description.data or "")
        except DomainError as error:
            flash(error.message, "error")
            return _render_cohorts(form), error.status
        db.session.commit()
        flash(f"Cohort {cohort.name!r} created.", "success")
        return redirect(url_for("admin.cohorts"))
    return _render_cohorts(form), 422 if form.errors else 200


def _render_cohorts(form: CohortForm) -> str:
    rows = db.session.execute(sa.select(User.cohort_id, sa.func.count()).group_by(User.cohort_id))
    sizes = {cohort_id: count for cohort_id, count in rows}
    return render_template("admin/cohorts.html", cohorts=list_cohorts(), sizes=sizes, form=form)


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_cohort(cohort_id: int) -> Any:
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortForm(obj=cohort)
    if form.validate_on_submit():
        try:
            update_cohort(cohort, form.name.data or "", form.description.data or "")
        except DomainError as error:
            flash(error.message, "error")
            return render_template("admin/cohort_form.html", form=form, cohort=cohort), error.status
        db.session.commit()
        flash("Saved.", "success")
        return redirect(url_for("admin.cohorts"))
    members = db.session.scalars(
        sa.select(User).where(User.cohort_id == cohort.id).order_by(User.name)
    ).all()
    status = 422 if form.errors else 200
    return render_template(
        "admin/cohort_form.html", form=form, cohort=cohort, members=members
    ), status


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log() -> Any:
    page = request.args.get("page", 1, type=int) or 1
    action = request.args.get("action", "")
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    events = db.paginate(query, page=max(page, 1), per_page=AUDIT_PAGE_SIZE, error_out=False)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    )
    return render_template("admin/audit.html", events=events, action=action, actions=list(actions))
