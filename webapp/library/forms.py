"""The vignette editing form.  Lists are edited one item per line."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

ACTOR_BRIEF_FIELDS = (
    ("character", "Who the parent is", "Name, age, household, manner."),
    ("history", "History", "What has happened to this family so far."),
    ("what_they_know", "What they know", "About the referral and the worker's visit."),
    ("what_they_fear", "What they fear", ""),
    ("response_to_warmth", "How they respond to warmth and honesty", ""),
    ("response_to_confrontation", "How they respond to blame or confrontation", ""),
)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class VignetteForm(FlaskForm):
    slug = StringField("Identifier", validators=[DataRequired()])
    title = StringField("Title", validators=[DataRequired()])
    summary = TextAreaField("Summary", validators=[DataRequired()])
    trainee_brief = TextAreaField("Trainee brief", validators=[DataRequired()])
    character = TextAreaField("Who the parent is", validators=[DataRequired()])
    history = TextAreaField("History", validators=[DataRequired()])
    what_they_know = TextAreaField("What they know", validators=[DataRequired()])
    what_they_fear = TextAreaField("What they fear", validators=[DataRequired()])
    response_to_warmth = TextAreaField(
        "Response to warmth and honesty", validators=[DataRequired()]
    )
    response_to_confrontation = TextAreaField(
        "Response to blame or confrontation", validators=[DataRequired()]
    )
    disclosures_if_earned = TextAreaField(
        "What they disclose only if the worker earns it", validators=[DataRequired()]
    )
    opening_line = StringField("Opening line", validators=[Optional()])
    actor_directive = TextAreaField("Standing directive to the actor", validators=[DataRequired()])
    presenting_concerns = TextAreaField("Presenting concerns", validators=[DataRequired()])
    strengths = TextAreaField("Strengths and protective factors", validators=[DataRequired()])
    legal_status = StringField("Legal status or stage of involvement", validators=[DataRequired()])
    target_minutes = IntegerField(
        "Target length (minutes)", default=30, validators=[DataRequired(), NumberRange(5, 120)]
    )
    difficulty = SelectField(
        "Difficulty",
        choices=[
            SelectChoice("introductory", "Introductory"),
            SelectChoice("moderate", "Moderate"),
            SelectChoice("challenging", "Challenging"),
        ],
    )
    parallel_group = StringField("Parallel-form group", validators=[Optional()])
    tags = StringField("Tags", validators=[Optional()])
    content_note = TextAreaField("Content note", validators=[Optional()])
    companion_forms = BooleanField(
        "Offer the after-session forms (trainee on realism, actor in role)", default=True
    )
    submit = SubmitField("Save as a new version")

    def to_document(self) -> dict[str, Any]:
        """The form's content as a vignette document (validated by the schema later)."""
        actor_brief: dict[str, Any] = {
            name: (getattr(self, name).data or "").strip() for name, _, _ in ACTOR_BRIEF_FIELDS
        }
        actor_brief["disclosures_if_earned"] = _lines(self.disclosures_if_earned.data)
        if (self.opening_line.data or "").strip():
            actor_brief["opening_line"] = self.opening_line.data.strip()
        return {
            "slug": (self.slug.data or "").strip(),
            "title": (self.title.data or "").strip(),
            "summary": (self.summary.data or "").strip(),
            "trainee_brief": (self.trainee_brief.data or "").strip(),
            "actor_brief": actor_brief,
            "actor_directive": (self.actor_directive.data or "").strip(),
            "presenting_concerns": _lines(self.presenting_concerns.data),
            "strengths": _lines(self.strengths.data),
            "legal_status": (self.legal_status.data or "").strip(),
            "target_minutes": self.target_minutes.data,
            "difficulty": self.difficulty.data,
            "parallel_group": (self.parallel_group.data or "").strip() or None,
            "tags": [tag.strip() for tag in (self.tags.data or "").split(",") if tag.strip()],
            "content_note": (self.content_note.data or "").strip() or None,
            "companion_forms": bool(self.companion_forms.data),
        }

    def fill_from(self, document: dict[str, Any]) -> None:
        """Load a stored document into the form fields."""
        brief = document.get("actor_brief") or {}
        for name in ("slug", "title", "summary", "trainee_brief", "actor_directive",
                     "legal_status", "target_minutes", "difficulty"):  # fmt: skip
            getattr(self, name).data = document.get(name)
        for name, _, _ in ACTOR_BRIEF_FIELDS:
            getattr(self, name).data = brief.get(name, "")
        self.opening_line.data = brief.get("opening_line", "")
        self.disclosures_if_earned.data = "\n".join(brief.get("disclosures_if_earned", []))
        self.presenting_concerns.data = "\n".join(document.get("presenting_concerns") or [])
        self.strengths.data = "\n".join(document.get("strengths") or [])
        self.parallel_group.data = document.get("parallel_group") or ""
        self.tags.data = ", ".join(document.get("tags") or [])
        self.content_note.data = document.get("content_note") or ""
        self.companion_forms.data = document.get("companion_forms", True) is not False


class RetireForm(FlaskForm):
    submit = SubmitField("Save")
