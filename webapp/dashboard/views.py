"""Dashboard pages and their SVG charts (educators and admins)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.dashboard import bp
from webapp.dashboard.assignments import (
    create_assignment,
    list_assignments,
    resolve_trainee_ids,
    suggest_parallel_form,
    validate_request,
)
from webapp.dashboard.data import Filters, list_cohorts, list_trainees
from webapp.dashboard.forms import AssignmentForm, parse_id
from webapp.dashboard.plots import time_point_means_svg, trajectory_svg
from webapp.dashboard.progress import build_progress
from webapp.dashboard.services import MIN_SESSIONS_FOR_INTERVAL, build_overview, build_trajectory
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Cohort, Role, User, Vignette
from webapp.orm import utcnow
from webapp.reports.views import chosen_instrument

READERS = (Role.EDUCATOR, Role.ADMIN)


def overview_filters() -> Filters:
    return Filters(
        cohort_id=_positive(request.args.get("cohort")),
        vignette_id=_positive(request.args.get("vignette")),
        start=_date(request.args.get("start")),
        end=_date(request.args.get("end")),
    )


def _positive(value: str | None) -> int | None:
    number = parse_id(value)
    return number if number is not None and number > 0 else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def live_vignettes() -> list[Vignette]:
    query = sa.select(Vignette).where(Vignette.retired_at.is_(None)).order_by(Vignette.slug)
    return list(db.session.scalars(query))


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    slug, instruments = chosen_instrument()
    filters = overview_filters()
    return render_template(
        "dashboard/index.html",
        overview=build_overview(slug, filters, _positive(request.args.get("page")) or 1),
        filters=filters,
        slug=slug,
        instruments=instruments,
        cohorts=list_cohorts(),
        vignettes=live_vignettes(),
    )


def trainee_or_404(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not user.has_role(Role.TRAINEE):
        abort(404)  # not a trainee: there is no trajectory to show
    return user


@bp.route("/trainees/<int:user_id>")
@roles_required(*READERS)
def trainee(user_id: int) -> Any:
    person = trainee_or_404(user_id)
    slug, instruments = chosen_instrument()
    return render_template(
        "dashboard/trainee.html",
        person=person,
        trajectory=build_trajectory(slug, person.id),
        slug=slug,
        instruments=instruments,
        min_sessions=MIN_SESSIONS_FOR_INTERVAL,
    )


@bp.route("/trainees/<int:user_id>/trajectory.svg")
@roles_required(*READERS)
def trainee_svg(user_id: int) -> Any:
    person = trainee_or_404(user_id)
    slug, _ = chosen_instrument()
    data = build_trajectory(slug, person.id)
    svg = trajectory_svg(
        f"Final scores per session: {person.name}", data["dimensions"], data["sessions"]
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/cohorts/<int:cohort_id>")
@roles_required(*READERS)
def cohort(cohort_id: int) -> Any:
    group = db.get_or_404(Cohort, cohort_id)
    slug, instruments = chosen_instrument()
    return render_template(
        "dashboard/cohort.html",
        cohort=group,
        progress=build_progress(slug, group.id),
        slug=slug,
        instruments=instruments,
    )


@bp.route("/cohorts/<int:cohort_id>/progress.svg")
@roles_required(*READERS)
def cohort_svg(cohort_id: int) -> Any:
    group = db.get_or_404(Cohort, cohort_id)
    slug, _ = chosen_instrument()
    data = build_progress(slug, group.id)
    svg = time_point_means_svg(
        f"{group.name}: mean final score by time point", data["time_points"], data["grouped"]
    )
    return Response(svg, mimetype="image/svg+xml")


def assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    form.vignette.choices = [(str(v.id), v.current.title) for v in live_vignettes()]
    form.trainee.choices = [("", "—")] + [(str(t), n) for t, n, _ in list_trainees()]
    form.cohort.choices = [("", "—")] + [(str(c), n) for c, n in list_cohorts()]
    return form


@bp.route("/assignments", methods=["GET", "POST"])
@roles_required(*READERS)
def assignments() -> Any:
    form = assignment_form()
    if not form.validate_on_submit():
        return render_assignments(form), 422 if form.errors else 200
    wanted = form.to_request(switch_to=request.form.get("switch_to"))
    try:
        vignette = validate_request(wanted, utcnow().date())
        sibling = suggest_parallel_form(resolve_trainee_ids(wanted), vignette)
        if sibling is not None and not form.keep_vignette.data:
            return render_assignments(form, chosen=vignette, sibling=sibling), 200
        create_assignment(wanted, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_assignments(form), error.status
    db.session.commit()
    flash(f"Assigned “{vignette.current.title}”.", "success")
    return redirect(url_for("dashboard.assignments"))


def render_assignments(
    form: AssignmentForm, chosen: Vignette | None = None, sibling: Vignette | None = None
) -> str:
    return render_template(
        "dashboard/assignments.html",
        form=form,
        assignments=list_assignments(),
        chosen=chosen,
        sibling=sibling,
    )
