"""Practice pages and the recording API the browser talks to."""

from __future__ import annotations

import shutil
from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from webapp import audio
from webapp.access import roles_required
from webapp.audit import record_event
from webapp.errors import DomainError, InvalidInput, NotFound, wants_json
from webapp.extensions import db
from webapp.media import send_audio
from webapp.models import AuditAction, Recording, RecordingStatus, Role
from webapp.practice import bp, storage
from webapp.practice.forms import StartSessionForm, actor_choices
from webapp.practice.services import (
    MissingChunks,
    accept_upload,
    delete_recording,
    finish_recording,
    get_active_vignette,
    get_actor_choice,
    get_own_recording,
    get_prepare_job,
    get_recording_for,
    list_actors,
    list_sessions,
    receive_chunk,
    recording_status,
    retry_preparation,
    start_session,
)
from webapp.practice.transcripts import edit_transcript, transcript_payload

VIEWERS = (Role.TRAINEE, Role.EDUCATOR, Role.ADMIN)
ACCEPTED = ".wav,.mp3,.m4a,.aac,.ogg,.opus,.webm,.flac"


def me() -> Any:
    return current_user._get_current_object()


@bp.route("/")
@roles_required(Role.TRAINEE)
def index() -> Any:
    from webapp.dashboard.assignments import my_assignments

    return render_template(
        "practice/index.html", sessions=list_sessions(me()), my_assignments=my_assignments(me())
    )


@bp.route("/vignettes/<slug>", methods=["GET", "POST"])
@roles_required(Role.TRAINEE)
def start(slug: str) -> Any:
    vignette = _vignette_or_404(slug)
    form = _start_form()
    if form.validate_on_submit():
        try:
            actor = get_actor_choice(form.actor_id.data, form.actor_name.data)
        except DomainError as error:
            form.actor_name.errors.append(error.message)
            return _render_start(vignette, form), 422
        recording = start_session(me(), vignette, actor)
        record_event(AuditAction.RECORDING_STARTED, obj=recording)
        db.session.commit()
        return redirect(url_for("practice.show", recording_id=recording.id))
    return _render_start(vignette, form), 422 if form.errors else 200


def _vignette_or_404(slug: str) -> Any:
    try:
        return get_active_vignette(slug)
    except NotFound:
        from flask import abort

        abort(404)


def _start_form() -> StartSessionForm:
    form = StartSessionForm()
    form.actor_id.choices = actor_choices([(a.id, a.name) for a in list_actors()])
    return form


def _render_start(vignette: Any, form: StartSessionForm) -> str:
    version = vignette.current
    return render_template(
        "practice/start.html",
        vignette={
            "slug": vignette.slug,
            "title": version.title,
            "trainee_brief": version.trainee_brief,
            "target_minutes": version.target_minutes,
            "content_note": version.content_note,
        },
        form=form,
        upload_url=url_for("practice.upload", slug=vignette.slug),
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
        accepted=ACCEPTED,
    )


@bp.route("/vignettes/<slug>/upload", methods=["POST"])
@roles_required(Role.TRAINEE)
def upload(slug: str) -> Any:
    vignette = _vignette_or_404(slug)
    form = _start_form()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("Say who played the parent, then choose a file.")
        actor = get_actor_choice(form.actor_id.data, form.actor_name.data)
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            raise InvalidInput("Choose an audio file to upload.")
        recording = accept_upload(me(), vignette, actor, upload_file.stream, upload_file.filename)
    except (DomainError, audio.AudioError) as error:
        db.session.rollback()
        return _upload_refused(error, slug)
    db.session.commit()
    url = url_for("practice.show", recording_id=recording.id)
    if wants_json():
        return jsonify(recording=recording.id, url=url), 202
    flash("Uploaded. The transcript is on its way.", "success")
    return redirect(url)


def _upload_refused(error: Any, slug: str) -> Any:
    _log_if_storage_full(error)
    if wants_json():
        return jsonify(error=type(error).__name__, message=error.message), error.status
    flash(error.message, "error")
    return redirect(url_for("practice.start", slug=slug)), 303


def recording_view(recording: Recording) -> dict[str, Any]:
    """Everything the recording page and its scripts need, as plain data."""
    version = recording.vignette_version
    rid = recording.id
    return {
        "id": rid,
        "status": recording.status,
        "error": recording.error,
        "title": version.title,
        "slug": version.vignette.slug,
        "actor": recording.actor.name if recording.actor else recording.actor_name,
        "created_at": recording.created_at,
        "duration": recording.duration_seconds,
        "original_name": recording.original_name,
        "is_own": recording.trainee_id == current_user.id,
        "target_seconds": version.target_minutes * 60,
        "cap_seconds": current_app.config["MAX_RECORDING_MINUTES"] * 60,
        "chunk_seconds": current_app.config["CHUNK_SECONDS"],
        "chunks_received": len(recording.chunks),
        "has_audio": storage.playback_path(recording).exists(),
        "job_error": _failed_job_error(recording),
        "can_retry": current_user.has_role(Role.EDUCATOR, Role.ADMIN),
        "can_delete": recording.trainee_id == current_user.id or current_user.has_role(Role.ADMIN),
        "urls": {
            "chunk": url_for("practice.show", recording_id=rid) + "/chunks/",
            "finish": url_for("practice.finish", recording_id=rid),
            "status": url_for("practice.status", recording_id=rid),
            "audio": url_for("practice.audio_file", recording_id=rid),
            "transcript_json": url_for("practice.transcript_json", recording_id=rid),
            "transcript_edit": url_for("practice.transcript_edit", recording_id=rid),
            "page": url_for("practice.show", recording_id=rid),
            "retry": url_for("practice.retry", recording_id=rid),
            "delete": url_for("practice.delete", recording_id=rid),
        },
    }


@bp.route("/recordings/<int:recording_id>")
@roles_required(*VIEWERS)
def show(recording_id: int) -> Any:
    from webapp.estimates.advice import estimate_panel

    recording = get_recording_for(me(), recording_id)
    page = render_template(
        "practice/recording.html", rec=recording_view(recording), **estimate_panel(recording, me())
    )
    db.session.commit()  # the estimates panel audits that estimates were shown
    return page


@bp.route("/recordings/<int:recording_id>/chunks/<int:seq>", methods=["POST"])
@roles_required(Role.TRAINEE)
def chunk(recording_id: int, seq: int) -> Any:
    recording = get_own_recording(me(), recording_id)
    limit = current_app.config["MAX_CHUNK_BYTES"]
    if (request.content_length or 0) > limit:
        return jsonify(error="too-large", message="That piece of audio is too large."), 413
    data = request.get_data(cache=False)
    if len(data) > limit:
        return jsonify(error="too-large", message="That piece of audio is too large."), 413
    try:
        stored = receive_chunk(recording, seq, data)
    except audio.AudioError as error:
        return _audio_refused_json(error)
    db.session.commit()
    if stored:
        return jsonify(seq=seq, stored=True), 201
    return jsonify(seq=seq, duplicate=True), 200


@bp.route("/recordings/<int:recording_id>/finish", methods=["POST"])
@roles_required(Role.TRAINEE)
def finish(recording_id: int) -> Any:
    recording = get_own_recording(me(), recording_id)
    payload = request.get_json(silent=True) or {}
    expected = payload.get("chunks")
    if expected is not None and (not isinstance(expected, int) or expected < 0):
        return jsonify(error="bad-request", message="'chunks' must be a whole number."), 400
    try:
        finished = finish_recording(recording, expected)
    except MissingChunks as error:
        db.session.rollback()
        return jsonify(error="missing-chunks", message=error.message, missing=error.missing), 409
    except audio.AudioError as error:
        return _audio_refused_json(error)
    db.session.commit()
    return jsonify(status=recording.status), 202 if finished else 200


def _audio_refused_json(error: audio.AudioError) -> Any:
    """Roll back and answer with the audio error's status and trainee-facing message."""
    db.session.rollback()
    _log_if_storage_full(error)
    return jsonify(error=type(error).__name__, message=error.message), error.status


def _log_if_storage_full(error: Exception) -> None:
    # The trainee is told to contact the administrator; the log is where operators look.
    if isinstance(error, audio.StorageFull):
        current_app.logger.error("DATA_DIR is out of space: %s", error.detail)


@bp.route("/recordings/<int:recording_id>/status")
@roles_required(*VIEWERS)
def status(recording_id: int) -> Any:
    return jsonify(recording_status(get_recording_for(me(), recording_id)))


@bp.route("/recordings/<int:recording_id>/audio")
@roles_required(*VIEWERS)
def audio_file(recording_id: int) -> Any:
    recording = get_recording_for(me(), recording_id)
    path = storage.playback_path(recording)
    if recording.status == RecordingStatus.RECORDING or not path.exists():
        raise NotFound("The audio is not ready yet.")
    return send_audio(path)


@bp.route("/recordings/<int:recording_id>/transcript.json")
@roles_required(*VIEWERS)
def transcript_json(recording_id: int) -> Any:
    return jsonify(transcript_payload(get_recording_for(me(), recording_id)))


@bp.route("/recordings/<int:recording_id>/transcript", methods=["POST"])
@roles_required(*VIEWERS)
def transcript_edit(recording_id: int) -> Any:
    recording = get_recording_for(me(), recording_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("operation"), dict):
        return jsonify(error="bad-request", message="Send base_version and operation."), 400
    base = payload.get("base_version")
    if not isinstance(base, int):
        return jsonify(error="bad-request", message="base_version must be a number."), 400
    edit_transcript(recording, base, payload["operation"], me())
    db.session.commit()
    db.session.refresh(recording)
    return jsonify(transcript_payload(recording))


def _failed_job_error(recording: Recording) -> str | None:
    job = get_prepare_job(recording)
    return job.error if job is not None and job.status == "failed" else None


@bp.route("/recordings/<int:recording_id>/retry", methods=["POST"])
@roles_required(Role.EDUCATOR, Role.ADMIN)
def retry(recording_id: int) -> Any:
    recording = get_recording_for(me(), recording_id)
    retry_preparation(recording)
    db.session.commit()
    flash("Transcription queued again.", "success")
    return redirect(url_for("practice.show", recording_id=recording.id))


@bp.route("/recordings/<int:recording_id>/delete", methods=["POST"])
@roles_required(Role.TRAINEE, Role.ADMIN)
def delete(recording_id: int) -> Any:
    recording = get_recording_for(me(), recording_id)
    folder = delete_recording(recording, me())
    db.session.commit()
    shutil.rmtree(folder, ignore_errors=True)  # only once the rows are gone for good
    flash("The recording and its transcript are deleted.", "success")
    target = "practice.index" if Role.TRAINEE in current_user.roles else "home.index"
    return redirect(url_for(target))
