"""Feedback pages: thin views over release, report, progress, notes and visibility."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.errors import DomainError, InvalidInput
from webapp.extensions import db
from webapp.feedback import bp
from webapp.feedback.notes import (
    MAX_NOTE_CHARS,
    NOTE_PROMPTS,
    NOTE_TITLES,
    get_note,
    list_shared_notes,
    parse_kind,
    save_note,
)
from webapp.feedback.progress import get_progress, progress_svg
from webapp.feedback.release import (
    MAX_MESSAGE_CHARS,
    get_release,
    list_release_rows,
    release_feedback,
)
from webapp.feedback.report import build_feedback, feedback_json
from webapp.feedback.visibility import get_visibility
from webapp.models import Recording, Role
from webapp.practice.services import get_own_recording, get_recording_for

EDUCATORS = (Role.EDUCATOR, Role.ADMIN)


def me() -> Any:
    return current_user._get_current_object()


# -- release (educators) ---------------------------------------------------------------


@bp.route("/")
@roles_required(*EDUCATORS)
def index() -> Any:
    return _render_index()


def _render_index(error: str | None = None) -> str:
    return render_template(
        "feedback/index.html",
        rows=list_release_rows(),
        error=error,
        max_message=MAX_MESSAGE_CHARS,
        message=request.form.get("message", "") if error else "",
    )


@bp.route("/release", methods=["POST"])
@roles_required(*EDUCATORS)
def release() -> Any:
    try:
        releases = release_feedback(_chosen_ids(), request.form.get("message", ""), me())
    except DomainError as error:
        db.session.rollback()
        return _render_index(error.message), error.status
    db.session.commit()
    flash(f"Feedback released for {len(releases)} recording(s).", "success")
    return redirect(url_for("feedback.index"))


def _chosen_ids() -> list[int]:
    # A row's own button releases just that row; otherwise the ticked boxes.
    values = (
        [request.form["only"]] if request.form.get("only") else request.form.getlist("recording")
    )
    try:
        return [int(value) for value in values]
    except ValueError:
        raise InvalidInput("Choose recordings from the list.") from None


@bp.route("/notes/<int:recording_id>")
@roles_required(*EDUCATORS)
def shared_notes(recording_id: int) -> Any:
    recording = get_recording_for(me(), recording_id)
    return render_template(
        "feedback/shared_notes.html",
        recording=recording,
        notes=list_shared_notes(recording),
        titles=NOTE_TITLES,
    )


# -- trainees --------------------------------------------------------------------------


@bp.route("/recordings/<int:recording_id>")
@roles_required(Role.TRAINEE)
def recording(recording_id: int) -> Any:
    own = get_own_recording(me(), recording_id)
    release = get_release(own.id)
    feedback = build_feedback(own) if release else None
    return render_template(
        "feedback/recording.html", recording=own, release=release, feedback=feedback
    )


@bp.route("/recordings/<int:recording_id>.json")
@roles_required(Role.TRAINEE)
def recording_json(recording_id: int) -> Any:
    own = get_own_recording(me(), recording_id)
    if get_release(own.id) is None:
        return jsonify(released=False, recording_id=own.id)
    return jsonify(feedback_json(build_feedback(own)))


@bp.route("/progress")
@roles_required(Role.TRAINEE)
def progress() -> Any:
    return render_template("feedback/progress.html", progress=get_progress(me()))


@bp.route("/progress.svg")
@roles_required(Role.TRAINEE)
def progress_chart() -> Any:
    return Response(progress_svg(get_progress(me())), mimetype="image/svg+xml")


@bp.route("/recordings/<int:recording_id>/notes/<kind>", methods=["GET", "POST"])
@roles_required(Role.TRAINEE)
def note(recording_id: int, kind: str) -> Any:
    own = get_own_recording(me(), recording_id)
    note_kind = parse_kind(kind)
    if request.method == "POST":
        try:
            save_note(
                own,
                note_kind,
                request.form.get("text", ""),
                is_shared=request.form.get("is_shared") == "1",
                by=me(),
            )
        except DomainError as error:
            db.session.rollback()
            return _render_note(own, note_kind, error.message), error.status
        db.session.commit()
        flash(f"{NOTE_TITLES[note_kind]} saved.", "success")
        return redirect(url_for("feedback.note", recording_id=own.id, kind=note_kind))
    return _render_note(own, note_kind)


def _render_note(recording: Recording, kind: Any, error: str | None = None) -> str:
    saved = get_note(recording, kind)
    return render_template(
        "feedback/note.html",
        recording=recording,
        kind=kind,
        title=NOTE_TITLES[kind],
        prompt=NOTE_PROMPTS[kind],
        text=request.form.get("text", "") if error else (saved.text if saved else ""),
        is_shared=(request.form.get("is_shared") == "1")
        if error
        else bool(saved and saved.is_shared),
        saved=saved,
        error=error,
        max_chars=MAX_NOTE_CHARS,
    )


@bp.route("/recordings/<int:recording_id>/access")
@roles_required(Role.TRAINEE)
def access(recording_id: int) -> Any:
    own = get_own_recording(me(), recording_id)
    return render_template("feedback/access.html", recording=own, seen=get_visibility(own))
