"""Consent pages, the exemplar library and the administrators' subject-rights pages."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.audit import record_event
from webapp.errors import InvalidInput
from webapp.extensions import db
from webapp.media import send_audio
from webapp.models import AuditAction, Role, User
from webapp.privacy import bp
from webapp.privacy.access_export import build_user_archive
from webapp.privacy.consent import (
    ConsentChoice,
    ConsentRole,
    get_consent,
    get_recording_for_actor_consent,
    get_recording_for_consent,
    record_actor_consent,
    save_consent,
    withdraw_actor_consent,
    withdraw_consent,
)
from webapp.privacy.exemplars import (
    ExemplarDetails,
    get_exemplar_audio,
    list_exemplars_for,
    tag_exemplar,
)
from webapp.privacy.subjects import (
    check_confirmation,
    erase_user,
    get_user_or_404,
    remove_folders,
)


def me() -> Any:
    return current_user._get_current_object()


@bp.route("/recordings/<int:recording_id>/consent", methods=["GET", "POST"])
@roles_required(Role.TRAINEE, Role.ACTOR)
def consent(recording_id: int) -> Any:
    recording, role = get_recording_for_consent(me(), recording_id)
    if request.method == "POST":
        if request.form.get("action") == "withdraw":
            withdraw_consent(recording, me(), role)
            flash(
                "Consent withdrawn. The recording is no longer used beyond your training.",
                "success",
            )
        else:
            save_consent(recording, me(), role, _choice())
            flash("Your choices are saved.", "success")
        db.session.commit()
        return redirect(url_for("privacy.consent", recording_id=recording.id))
    row = get_consent(recording.id, role)
    return render_template(
        "privacy/consent.html",
        recording=recording,
        role=role,
        consent=row,
        actor_consent=_actor_consent_context(recording, role),
    )


def _actor_consent_context(recording: Any, role: ConsentRole) -> dict[str, Any] | None:
    """The account-less actor's consent, for the trainee's consent page (None otherwise)."""
    if role != ConsentRole.TRAINEE or recording.actor_id is not None or not recording.actor_name:
        return None
    return _actor_consent_view(recording)


def _actor_consent_view(recording: Any) -> dict[str, Any]:
    """The actor's consent row and the name of whoever recorded it ("you" for the viewer)."""
    row = get_consent(recording.id, ConsentRole.ACTOR)
    recorder = db.session.get(User, row.recorded_by_id) if row and row.recorded_by_id else None
    recorded_by: str | None = recorder.name if recorder is not None else None
    if recorder is not None and recorder.id == me().id:
        recorded_by = "you"
    return {"recording": recording, "consent": row, "recorded_by": recorded_by}


@bp.route("/recordings/<int:recording_id>/actor-consent", methods=["GET", "POST"])
@roles_required(Role.TRAINEE, Role.EDUCATOR, Role.ADMIN)
def actor_consent(recording_id: int) -> Any:
    """The trainee or an educator records the answer of an actor who has no account."""
    recording = get_recording_for_actor_consent(me(), recording_id)
    if request.method == "POST":
        if request.form.get("action") == "withdraw":
            withdraw_actor_consent(recording, me())
            flash("The actor's withdrawal is recorded.", "success")
        else:
            record_actor_consent(recording, me(), _choice())
            flash("The actor's choices are recorded.", "success")
        db.session.commit()
        return redirect(url_for("privacy.actor_consent", recording_id=recording.id))
    return render_template(
        "privacy/actor_consent.html", actor_consent=_actor_consent_view(recording)
    )


def _choice() -> ConsentChoice:
    return ConsentChoice(
        exemplar_use="exemplar_use" in request.form,
        research_use="research_use" in request.form,
        classifier_training="classifier_training" in request.form,
    )


@bp.route("/exemplars")
@roles_required(Role.TRAINEE, Role.EDUCATOR, Role.ADMIN)
def exemplars() -> Any:
    return render_template("privacy/exemplars.html", exemplars=list_exemplars_for(me()))


@bp.route("/exemplars/<int:exemplar_id>/audio")
@roles_required(Role.TRAINEE, Role.EDUCATOR, Role.ADMIN)
def exemplar_audio(exemplar_id: int) -> Any:
    return send_audio(get_exemplar_audio(me(), exemplar_id))


@bp.route("/exemplars/new", methods=["GET", "POST"])
@roles_required(Role.EDUCATOR, Role.ADMIN)
def new_exemplar() -> Any:
    if request.method == "POST":
        tag_exemplar(_exemplar_details(), me())
        db.session.commit()
        flash("Exemplar added to the library.", "success")
        return redirect(url_for("privacy.exemplars"))
    return render_template(
        "privacy/exemplar_form.html", recording_id=request.args.get("recording_id", "")
    )


def _exemplar_details() -> ExemplarDetails:
    form = request.form
    try:
        return ExemplarDetails(
            recording_id=int(form.get("recording_id", "")),
            start=float(form.get("start", "")),
            end=float(form.get("end", "")),
            title=form.get("title", ""),
            dimension=form.get("dimension") or None,
            note=form.get("note", ""),
        )
    except ValueError:
        raise InvalidInput("Recording, start and end must be numbers.") from None


@bp.route("/users/<int:user_id>/export")
@roles_required(Role.ADMIN)
def user_export(user_id: int) -> Any:
    user = get_user_or_404(user_id)
    archive = build_user_archive(user)
    record_event(AuditAction.USER_DATA_EXPORTED, obj=user, detail={"bytes": len(archive)})
    db.session.commit()
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f"attachment; filename=user-{user.id}-data.zip"},
    )


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_delete(user_id: int) -> Any:
    user = get_user_or_404(user_id)
    if request.method == "GET":
        return render_template("privacy/user_delete.html", user=user)
    check_confirmation(user, request.form.get("confirm", ""))
    folders = erase_user(user, me())
    db.session.commit()
    remove_folders(folders)  # only once the rows are gone for good
    flash("The person's data is erased.", "success")
    return redirect(url_for("admin.users"))
