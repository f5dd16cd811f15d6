"""Template helpers other pages use to link to feedback, notes and "who can see".

Registered as app-wide template globals, so the practice pages need only an include:
``{% include "feedback/_recording_links.html" %}`` with ``rec.id`` (or ``recording_id``)
in scope, and ``feedback_released_ids(ids)`` for a "released feedback" column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for
from flask_login import current_user

from webapp.feedback import bp
from webapp.feedback.release import get_release, released_ids
from webapp.models import Role


@dataclass(frozen=True)
class RecordingLinks:
    is_released: bool
    feedback: str
    plan: str
    reflection: str
    access: str


@bp.app_template_global("feedback_links")
def feedback_links(recording_id: int) -> RecordingLinks | None:
    """Links for the recording page; None unless the viewer is a trainee (owner checks
    happen on the linked pages, which answer 404 for someone else's recording)."""
    if not current_user.is_authenticated or not current_user.has_role(Role.TRAINEE):
        return None
    return RecordingLinks(
        is_released=get_release(recording_id) is not None,
        feedback=url_for("feedback.recording", recording_id=recording_id),
        plan=url_for("feedback.note", recording_id=recording_id, kind="plan"),
        reflection=url_for("feedback.note", recording_id=recording_id, kind="reflection"),
        access=url_for("feedback.access", recording_id=recording_id),
    )


@bp.app_template_global("feedback_released_ids")
def feedback_released_ids(recording_ids: Iterable[int]) -> set[int]:
    """Which of these recordings have released feedback (one query, for list pages)."""
    return released_ids(recording_ids)
