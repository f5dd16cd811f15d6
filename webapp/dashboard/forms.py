"""The assignment form.  Choices are offered, but ids are checked by the domain code so an
unknown one gets a clear message rather than "Not a valid choice"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.dashboard.assignments import AssignmentRequest


class AssignmentForm(FlaskForm):
    vignette = SelectField("Vignette", choices=[], validate_choice=False)
    trainee = SelectField("Trainee", choices=[], validate_choice=False)
    cohort = SelectField("or a whole cohort", choices=[], validate_choice=False)
    due_on = DateField("Due date (optional)", validators=[Optional()])
    time_point = StringField("Time point (optional)", validators=[Optional(), Length(max=80)])
    note = TextAreaField(
        "Note to the trainee (optional)", validators=[Optional(), Length(max=2000)]
    )
    keep_vignette = BooleanField("Assign this vignette even though it was used before")
    submit = SubmitField("Assign")

    def to_request(self, switch_to: str | None = None) -> AssignmentRequest:
        """The request as typed; ``switch_to`` is the parallel form chosen instead."""
        return AssignmentRequest(
            vignette_id=parse_id(switch_to or self.vignette.data),
            trainee_id=parse_id(self.trainee.data),
            cohort_id=parse_id(self.cohort.data),
            due_on=self.due_on.data,
            time_point=(self.time_point.data or "").strip(),
            note=(self.note.data or "").strip(),
        )


def parse_id(value: object) -> int | None:
    """None for an empty choice; -1 (matches nothing) for anything that is not an id."""
    text = str(value or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else -1
