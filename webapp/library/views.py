"""Vignette pages.  What each role may read is decided in ``vignette_page``."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access import roles_required
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.library import bp
from webapp.library.forms import RetireForm, VignetteForm
from webapp.library.services import (
    VignetteProblems,
    can_edit,
    can_read_actor_brief,
    document_from_version,
    get_vignette,
    list_vignettes,
    save_edited_vignette,
    set_retired,
)
from webapp.models import Role, Vignette, VignetteVersion

READERS = (Role.TRAINEE, Role.ACTOR, Role.EDUCATOR, Role.ADMIN)
EDITORS = (Role.EDUCATOR, Role.ADMIN)


def _vignette_or_404(slug: str) -> Vignette:
    try:
        return get_vignette(slug)
    except NotFound:
        abort(404)


def vignette_page(
    vignette: Vignette, version: VignetteVersion, roles: frozenset[Role]
) -> dict[str, Any]:
    """An explicit view of a version holding only what ``roles`` may read.

    Trainees get the trainee brief; actors also the actor brief; educators and admins
    everything.  Templates only ever see this dictionary, never the ORM object.
    """
    page: dict[str, Any] = {
        "slug": vignette.slug,
        "version": version.number,
        "latest_version": vignette.current.number,
        "is_retired": vignette.is_retired,
        "title": version.title,
        "summary": version.summary,
        "trainee_brief": version.trainee_brief,
        "target_minutes": version.target_minutes,
        "difficulty": version.difficulty,
        "content_note": version.content_note,
    }
    if can_read_actor_brief(roles):
        page |= {
            "actor_brief": version.actor_brief,
            "actor_directive": version.actor_directive,
            "presenting_concerns": version.presenting_concerns,
            "strengths": version.strengths,
            "legal_status": version.legal_status,
        }
    if can_edit(roles):
        page |= {
            "parallel_group": version.parallel_group,
            "tags": version.tags,
            "source": version.source,
            "created_at": version.created_at,
            "versions": [(v.number, v.created_at, v.source) for v in vignette.versions],
        }
    return page


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    roles = current_user.roles
    vignettes = list_vignettes(include_retired=can_edit(roles))
    cards = [vignette_page(v, v.current, roles) for v in vignettes]
    return render_template("library/index.html", cards=cards, can_edit=can_edit(roles))


@bp.route("/<slug>")
@roles_required(*READERS)
def show(slug: str) -> Any:
    roles = current_user.roles
    vignette = _vignette_or_404(slug)
    if vignette.is_retired and not can_edit(roles):
        abort(404)
    version = _pick_version(vignette, roles)
    page = vignette_page(vignette, version, roles)
    return render_template(
        "library/show.html",
        page=page,
        can_edit=can_edit(roles),
        can_practise=Role.TRAINEE in roles,
        retire_form=RetireForm(),
    )


def _pick_version(vignette: Vignette, roles: frozenset[Role]) -> VignetteVersion:
    number = request.args.get("version", type=int)
    if number is None or not can_edit(roles):
        return vignette.current
    for version in vignette.versions:
        if version.number == number:
            return version
    abort(404)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new() -> Any:
    form = VignetteForm()
    if request.method == "GET":
        form.actor_directive.data = DEFAULT_DIRECTIVE
    return _save_form(form, slug=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(slug: str) -> Any:
    vignette = _vignette_or_404(slug)
    form = VignetteForm()
    if request.method == "GET":
        form.fill_from(document_from_version(vignette.slug, vignette.current))
    form.slug.data = vignette.slug  # the identifier never changes once created
    return _save_form(form, slug=vignette.slug)


def _save_form(form: VignetteForm, *, slug: str | None) -> Any:
    if form.validate_on_submit():
        document = form.to_document()
        if slug is None and _slug_taken(document["slug"]):
            form.slug.errors.append("Another vignette already uses this identifier.")
        else:
            try:
                vignette, outcome = save_edited_vignette(
                    document, user=current_user._get_current_object()
                )
            except VignetteProblems as problems:
                return _render_form(form, slug, problems.problems), 422
            db.session.commit()
            flash(
                _saved_message(outcome, vignette), "success" if outcome != "unchanged" else "info"
            )
            return redirect(url_for("library.show", slug=vignette.slug))
    status = 422 if form.errors else 200
    return _render_form(form, slug, []), status


def _slug_taken(slug: str) -> bool:
    try:
        get_vignette(slug)
    except NotFound:
        return False
    return True


def _saved_message(outcome: str, vignette: Vignette) -> str:
    if outcome == "unchanged":
        return "Nothing changed, so no new version was made."
    return f"Saved as version {vignette.current.number}."


def _render_form(form: VignetteForm, slug: str | None, problems: list[Any]) -> str:
    return render_template("library/form.html", form=form, slug=slug, problems=problems)


@bp.route("/<slug>/retire", methods=["POST"])
@roles_required(*EDITORS)
def retire(slug: str) -> Any:
    return _set_retired(slug, retired=True)


@bp.route("/<slug>/restore", methods=["POST"])
@roles_required(*EDITORS)
def restore(slug: str) -> Any:
    return _set_retired(slug, retired=False)


def _set_retired(slug: str, *, retired: bool) -> Any:
    vignette = _vignette_or_404(slug)
    if not RetireForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("library.show", slug=slug))
    set_retired(vignette, retired, user=current_user._get_current_object())
    db.session.commit()
    flash("Retired: no new sessions will use it." if retired else "Back in use.", "success")
    return redirect(url_for("library.show", slug=slug))


@bp.route("/<slug>/export.yaml")
@roles_required(*EDITORS)
def export(slug: str) -> Any:
    vignette = _vignette_or_404(slug)
    document = document_from_version(vignette.slug, vignette.current)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return Response(
        text,
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{vignette.slug}.yaml"'},
    )


DEFAULT_DIRECTIVE = (
    "Respond to how the worker talks to you. If they are honest about why they are here, "
    "listen and show they understand, become more open. If they lecture, blame or keep you "
    "in the dark, become more guarded."
)
