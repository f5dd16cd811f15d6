"""The rater's queue and rating page, recusal, and the instrument admin page.  Thin views:
parse, call one service, commit, render.  Rater pages get only ``views_model`` dicts."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.errors import DomainError, NotFound, wants_json
from webapp.extensions import db
from webapp.media import send_audio
from webapp.models import RatingTask, Role, TaskStatus
from webapp.practice import storage
from webapp.review import bp
from webapp.review.allocation import recuse_task
from webapp.review.forms import (
    Action,
    InstrumentForm,
    RecusalForm,
    RetireForm,
    parse_action,
    parse_rating,
)
from webapp.review.instruments import (
    add_instrument_version,
    ensure_instruments,
    instrument_of,
    list_versions,
    retire_version,
)
from webapp.review.services import (
    RatingInput,
    change_rating,
    get_rater_task,
    list_queue,
    record_play,
    record_view,
    save_draft,
    submit_rating,
)
from webapp.review.views_model import entered_view, queue_view, rater_page
from webapp.transactions import commit_with_retry

DONE = {
    Action.DRAFT: "Draft saved. You can come back to it.",
    Action.SUBMIT: "Rating submitted. Thank you.",
    Action.CHANGE: "Change saved as a new version of your rating.",
}


def me() -> Any:
    return current_user._get_current_object()


@bp.route("/")
@roles_required(Role.RATER)
def index() -> Any:
    to_rate = list_queue(me(), TaskStatus.OPEN, request.args.get("open", 1, type=int))
    done = list_queue(me(), TaskStatus.SUBMITTED, request.args.get("done", 1, type=int))
    return render_template(
        "review/queue.html",
        to_rate=queue_view(to_rate),
        done=queue_view(done),
        pages={"open": to_rate.page, "done": done.page},
    )


@bp.route("/<code>")
@roles_required(Role.RATER)
def rate(code: str) -> Any:
    task = get_rater_task(me(), code)
    record_view(task)
    db.session.commit()
    return _render_page(task)


def _render_page(
    task: RatingTask, entered: RatingInput | None = None, error: str | None = None
) -> str:
    page = rater_page(task)
    if entered is not None:
        page["rating"] = entered_view(entered)
    return render_template("review/rate.html", page=page, error=error, recusal=RecusalForm())


@bp.route("/<code>", methods=["POST"])
@roles_required(Role.RATER)
def save(code: str) -> Any:
    task = get_rater_task(me(), code)
    entered = None
    try:
        action = parse_action(request.form)
        entered = parse_rating(request.form, instrument_of(task.instrument_version))
        form = entered
        # A double click or a concurrent change is settled by the database; the loser
        # reloads the task and the idempotent service sees the winner's rating.
        commit_with_retry(lambda: _apply(action, get_rater_task(me(), code), form))
    except DomainError as error:
        db.session.rollback()
        task = get_rater_task(me(), code)
        if wants_json():
            return jsonify(error=type(error).__name__, message=error.message), error.status
        return _render_page(task, entered, error.message), error.status
    if wants_json():
        return jsonify(rater_page(task)["rating"])
    flash(DONE[action], "success")
    return redirect(url_for("review.rate", code=code), 303)


def _apply(action: Action, task: RatingTask, entered: RatingInput) -> None:
    if action is Action.DRAFT:
        save_draft(task, entered)
    elif action is Action.SUBMIT:
        submit_rating(task, entered)
    else:
        change_rating(task, entered, request.form.get("reason"))


@bp.route("/<code>/data.json")
@roles_required(Role.RATER)
def data(code: str) -> Any:
    task = get_rater_task(me(), code)
    record_view(task, as_json=True)
    db.session.commit()
    return jsonify(rater_page(task))


@bp.route("/<code>/audio")
@roles_required(Role.RATER)
def audio(code: str) -> Any:
    task = get_rater_task(me(), code)
    path = storage.playback_path(task.recording)
    if not path.exists():
        raise NotFound("The audio for this recording is not available.")
    if _is_first_range(request.headers.get("Range")):
        record_play(task)
        db.session.commit()
    return send_audio(path)


def _is_first_range(header: str | None) -> bool:
    # Browsers fetch audio in many ranged requests; count a play once, at its start.
    return header is None or header.replace(" ", "").startswith("bytes=0-")


@bp.route("/<code>/recuse", methods=["POST"])
@roles_required(Role.RATER)
def recuse(code: str) -> Any:
    task = get_rater_task(me(), code)
    form = RecusalForm()
    if not form.validate_on_submit():
        return _render_page(task, error="The reason is too long (2000 characters at most)."), 422
    recuse_task(task, form.reason.data)
    db.session.commit()
    flash("Thank you. The recording has been handed back and will go to another rater.", "success")
    return redirect(url_for("review.index"), 303)


@bp.route("/instruments", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def instruments() -> Any:
    if ensure_instruments():
        db.session.commit()
    form = InstrumentForm()
    if form.validate_on_submit():
        try:
            version = add_instrument_version(form.definition.data or "", me())
        except DomainError as error:
            db.session.rollback()
            form.definition.errors = [error.message]
            return _render_instruments(form), error.status
        db.session.commit()
        flash(f"Stored {version.slug} version {version.version}.", "success")
        return redirect(url_for("review.instruments"), 303)
    return _render_instruments(form), 422 if form.errors else 200


def _render_instruments(form: InstrumentForm) -> str:
    return render_template(
        "review/instruments.html", versions=list_versions(), form=form, retire_form=RetireForm()
    )


@bp.route("/instruments/<int:version_id>/retire", methods=["POST"])
@roles_required(Role.ADMIN)
def retire_instrument(version_id: int) -> Any:
    if not RetireForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("review.instruments"), 303)
    version = retire_version(version_id, me())
    db.session.commit()
    flash(f"Retired {version.slug} version {version.version}.", "success")
    return redirect(url_for("review.instruments"), 303)
