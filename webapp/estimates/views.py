"""The model page, its learning-curve chart and card, and a recording's estimates.

Educators and admins only: raters, actors and trainees are refused every route here.  A
trainee can see estimates only through the panel on their own recording page, and only when
an educator has switched them on for the trainee's cohort, here on the model page (see
trainee_access and advice.can_see_estimates).
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from rating.instruments import DEFAULT_INSTRUMENT
from webapp.access import roles_required
from webapp.errors import NotFound
from webapp.estimates import bp
from webapp.estimates.advice import build_model_page, estimate_panel
from webapp.estimates.data import get_recording
from webapp.estimates.plots import learning_curve_svg
from webapp.estimates.services import read_model_card
from webapp.estimates.trainee_access import list_cohort_switches, parse_switch, set_trainee_access
from webapp.extensions import db
from webapp.models import Role
from webapp.reports.data import list_instruments

READERS = (Role.EDUCATOR, Role.ADMIN)


def chosen_instrument() -> str:
    slugs = [i.slug for i in list_instruments()]
    wanted = request.args.get("instrument", "")
    return wanted if wanted in slugs else DEFAULT_INSTRUMENT


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    page = build_model_page(chosen_instrument())
    return render_template(
        "estimates/index.html",
        page=page,
        instruments=list_instruments(),
        cohorts=list_cohort_switches(),
    )


@bp.route("/cohorts/<int:cohort_id>/trainee-access", methods=["POST"])
@roles_required(*READERS)
def trainee_access(cohort_id: int) -> Any:
    show = parse_switch(request.form.get("show"))
    cohort = set_trainee_access(cohort_id, show, current_user._get_current_object())
    db.session.commit()
    state = "now see" if show else "no longer see"
    flash(f"Trainees in {cohort.name} {state} estimates on their own recordings.", "success")
    return redirect(url_for("estimates.index"))


@bp.route("/learning-curve.svg")
@roles_required(*READERS)
def learning_curve() -> Any:
    page = build_model_page(chosen_instrument())
    curve = page.get("curve")
    if not curve:
        raise NotFound("No learning curve yet: train a model first.")
    svg = learning_curve_svg(
        f"Learning curve ({page['instrument']})",
        curve["metric"],
        curve["train_sizes"],
        curve["dimensions"],
        threshold=page.get("threshold"),
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/card.json")
@roles_required(*READERS)
def card_json() -> Any:
    card = read_model_card(chosen_instrument())
    if card is None:
        raise NotFound("No model has been trained yet.")
    return jsonify(card)


@bp.route("/recordings/<int:recording_id>")
@roles_required(*READERS)
def recording(recording_id: int) -> Any:
    found = get_recording(recording_id)
    if found is None:
        raise NotFound("There is no such recording.")
    context = estimate_panel(found, current_user._get_current_object())
    db.session.commit()  # the audit event of the estimates shown
    return render_template(
        "estimates/recording.html",
        title=found.vignette_version.title,
        code=found.public_code,
        trainee=found.trainee.name,
        created_at=found.created_at,
        **context,
    )
