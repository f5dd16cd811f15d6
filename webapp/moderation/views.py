"""Moderation pages: thin views over the adjudication, gold, calibration and companion
services.  Forms that fail validation are shown again with the message and its status."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Role
from webapp.moderation import adjudication, bp, calibration, companion, gold

EDUCATORS = (Role.EDUCATOR, Role.ADMIN)
RESPONDENTS = (Role.TRAINEE, Role.ACTOR)


def me() -> Any:
    return current_user._get_current_object()


@bp.route("/")
@roles_required(*EDUCATORS)
def index() -> Any:
    _, waiting = adjudication.adjudication_queue_page()
    raters = calibration.rater_summaries()
    return render_template(
        "moderation/index.html",
        waiting=waiting,
        uncalibrated=sum(1 for r in raters if not (r["result"] and r["result"].is_calibrated)),
        raters=len(raters),
        responses=len(companion.list_responses()),
    )


# -- adjudication ----------------------------------------------------------------------


@bp.route("/adjudication")
@roles_required(*EDUCATORS)
def adjudication_queue() -> Any:
    queue, waiting = adjudication.adjudication_queue_page(request.args.get("page", 1, type=int))
    return render_template("moderation/adjudication_queue.html", queue=queue, waiting=waiting)


@bp.route("/adjudication/<int:recording_id>", methods=["GET", "POST"])
@roles_required(*EDUCATORS)
def adjudicate(recording_id: int) -> Any:
    pair = adjudication.get_pair_or_409(recording_id)
    if request.method == "POST":
        try:
            adjudication.record_adjudication(recording_id, request.form, me())
        except DomainError as error:
            db.session.rollback()
            return _render_adjudication(recording_id, error.message), error.status
        db.session.commit()
        flash("The consensus scores are saved as final scores.", "success")
        return redirect(url_for("moderation.adjudicate", recording_id=recording_id))
    return _render_adjudication(recording_id, None, pair)


def _render_adjudication(
    recording_id: int, error: str | None, pair: adjudication.CodedPair | None = None
) -> str:
    pair = pair or adjudication.get_pair_or_409(recording_id)
    return render_template(
        "moderation/adjudicate.html",
        view=adjudication.adjudication_view(pair),
        error=error,
        values=request.form if error else {},
    )


# -- calibration -----------------------------------------------------------------------


@bp.route("/calibration")
@roles_required(*EDUCATORS)
def calibration_index() -> Any:
    return render_template(
        "moderation/calibration.html",
        golds=gold.list_gold_standards(),
        candidates=gold.list_candidates(),
        raters=calibration.rater_summaries(),
        thresholds=calibration.thresholds(),
    )


@bp.route("/calibration/gold/<int:recording_id>", methods=["GET", "POST"])
@roles_required(*EDUCATORS)
def gold_standard(recording_id: int) -> Any:
    recording = gold.get_ready_recording(recording_id)
    if request.method == "POST":
        try:
            gold.set_gold_standard(recording_id, request.form, me())
        except DomainError as error:
            db.session.rollback()
            return _render_gold(recording_id, error.message), error.status
        db.session.commit()
        flash("The gold standard is saved.", "success")
        return redirect(url_for("moderation.calibration_index"))
    version = gold.get_instrument_version(request.args.get("instrument_version"))
    return _render_gold(recording.id, None, version.id)


def _render_gold(recording_id: int, error: str | None, version_id: object = None) -> str:
    recording = gold.get_ready_recording(recording_id)
    chosen = version_id if version_id is not None else request.form.get("instrument_version")
    try:
        version = gold.get_instrument_version(chosen)
    except DomainError:
        version = gold.get_instrument_version(None)
    return render_template(
        "moderation/gold.html",
        view=gold.gold_form_view(recording, version),
        versions=gold.list_instrument_versions(),
        error=error,
        values=request.form if error else {},
    )


@bp.route("/calibration/raters/<int:rater_id>")
@roles_required(*EDUCATORS)
def rater_calibration(rater_id: int) -> Any:
    rater = calibration.find_rater(rater_id)
    observations = calibration.list_observations(rater.id)
    return render_template(
        "moderation/rater.html",
        rater={"id": rater.id, "name": rater.name, "active": rater.active},
        result=calibration.build_report(observations).get(rater.id),
        observations=observations,
        open_tasks=calibration.count_open_calibration(rater),
        live_left=len(calibration.eligible_golds(rater, live_only=True)),
        set_left=len(calibration.eligible_golds(rater)),
        thresholds=calibration.thresholds(),
    )


@bp.route("/calibration/raters/<int:rater_id>/assign", methods=["POST"])
@roles_required(*EDUCATORS)
def assign_calibration(rater_id: int) -> Any:
    tasks = calibration.assign_calibration_set(rater_id, me())
    db.session.commit()
    if tasks:
        flash(f"{len(tasks)} gold-standard recording(s) added to the rater's queue.", "success")
    else:
        flash("Nothing new to assign: the rater already has every gold recording they may rate.")
    return redirect(url_for("moderation.rater_calibration", rater_id=rater_id))


@bp.route("/calibration/raters/<int:rater_id>/slip-in", methods=["POST"])
@roles_required(*EDUCATORS)
def slip_in(rater_id: int) -> Any:
    calibration.slip_in_gold(rater_id, me())
    db.session.commit()
    flash("One gold-standard recording is now in the rater's live queue.", "success")
    return redirect(url_for("moderation.rater_calibration", rater_id=rater_id))


@bp.route("/calibration/raters/<int:rater_id>/result", methods=["POST"])
@roles_required(*EDUCATORS)
def record_calibration(rater_id: int) -> Any:
    detail = calibration.record_calibration_result(rater_id, me())
    db.session.commit()
    verdict = "calibrated" if detail["calibrated"] else "not calibrated yet"
    flash(f"Recorded in the audit log: {verdict}.", "success")
    return redirect(url_for("moderation.rater_calibration", rater_id=rater_id))


# -- companion forms -------------------------------------------------------------------


@bp.route("/companion")
@roles_required(*RESPONDENTS)
def companion_index() -> Any:
    return render_template("moderation/companion_index.html", forms=companion.list_waiting(me()))


@bp.route("/companion/<int:recording_id>/<kind>", methods=["GET", "POST"])
@roles_required(*RESPONDENTS)
def companion_form(recording_id: int, kind: str) -> Any:
    recording = companion.get_companion_recording(me(), recording_id, kind)
    if request.method == "POST":
        try:
            companion.submit_companion(me(), recording_id, kind, request.form)
        except DomainError as error:
            db.session.rollback()
            return _render_companion(recording_id, kind, error.message), error.status
        db.session.commit()
        flash("Thank you: your answers are saved.", "success")
        return redirect(_after_companion(recording_id, kind))
    return _render_companion(recording.id, kind, None)


def _render_companion(recording_id: int, kind: str, error: str | None) -> str:
    recording = companion.get_companion_recording(me(), recording_id, kind)
    return render_template(
        "moderation/companion_form.html",
        form=companion.form_view(me(), recording, kind),
        error=error,
        values=request.form if error else {},
    )


def _after_companion(recording_id: int, kind: str) -> str:
    if kind == companion.CompanionKind.TRAINEE:
        return url_for("practice.show", recording_id=recording_id)
    return url_for("moderation.companion_index")


@bp.route("/companion/responses")
@roles_required(*EDUCATORS)
def companion_responses() -> Any:
    recording_id = request.args.get("recording", type=int)
    responses = companion.list_responses(recording_id)
    return render_template(
        "moderation/companion_responses.html",
        responses=responses,
        summary=companion.summarise_responses(responses),
        questions=companion.QUESTIONS,
        recording_id=recording_id,
    )


@bp.app_template_global("companion_prompt")
def companion_prompt(recording_id: int) -> dict[str, Any] | None:
    """For ``moderation/_companion.html`` beside a recording: the trainee's form, a link to
    the responses for educators, or None."""
    if not current_user.is_authenticated:
        return None
    if current_user.has_role(*EDUCATORS):
        return {"overview_url": url_for("moderation.companion_responses", recording=recording_id)}
    return companion.prompt_for(me(), recording_id)
