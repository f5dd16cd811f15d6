"""Reading the rating form (its fields depend on the instrument) and the small fixed forms."""

from __future__ import annotations

from enum import StrEnum

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from rating.instruments import Instrument
from webapp.errors import InvalidInput
from webapp.review.services import RatingInput


class Action(StrEnum):
    DRAFT = "draft"
    SUBMIT = "submit"
    CHANGE = "change"


def parse_action(form: MultiDict[str, str]) -> Action:
    try:
        return Action(form.get("action", Action.DRAFT))
    except ValueError:
        raise InvalidInput("Choose “Save draft”, “Submit rating” or “Save change”.") from None


def parse_rating(form: MultiDict[str, str], instrument: Instrument) -> RatingInput:
    """Turn the posted fields into a RatingInput; InvalidInput for unreadable values."""
    scores: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    evidence: dict[str, frozenset[int]] = {}
    for dimension in instrument.dimensions:
        key = dimension.key
        scores[key] = _score(form.get(f"score-{key}", ""), dimension.label, instrument)
        notes[key] = form.get(f"note-{key}", "")
        evidence[key] = _positions(form.getlist(f"evidence-{key}"), dimension.label)
    mode = form.get("mode", "").strip() or None
    return RatingInput(scores=scores, notes=notes, evidence=evidence, mode=mode)


def _score(raw: str, label: str, instrument: Instrument) -> int | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(
            f"{label}: {text!r} is not a score; choose a whole number from "
            f"{instrument.scale_min} to {instrument.scale_max}."
        ) from None


def _positions(values: list[str], label: str) -> frozenset[int]:
    try:
        return frozenset(int(value) for value in values)
    except ValueError:
        raise InvalidInput(f"{label}: evidence marks must be transcript line numbers.") from None


class RecusalForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional, seen only by administrators)",
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField("I recognise someone: hand this recording back")


class InstrumentForm(FlaskForm):
    definition = TextAreaField(
        "Instrument definition (YAML)",
        validators=[DataRequired(message="Paste an instrument definition in YAML.")],
    )
    submit = SubmitField("Validate and store as a new version")


class RetireForm(FlaskForm):
    submit = SubmitField("Retire")
