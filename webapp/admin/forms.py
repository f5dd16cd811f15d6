"""Admin forms for users and cohorts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models import ROLE_LABELS, Role

NO_COHORT = ""


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    roles = CheckboxListField(
        "Roles",
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired(message="Choose at least one role.")],
    )
    cohort = SelectField("Cohort", choices=[], validate_choice=True)
    submit = SubmitField("Save")


class NewUserForm(UserForm):
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(min=10, max=1024)]
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=1024)])
    submit = SubmitField("Set password and log the user out everywhere")


class ActivationForm(FlaskForm):
    submit = SubmitField("Save")


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save")


def cohort_choices(cohorts: list[tuple[int, str]]) -> list[SelectChoice]:
    return [SelectChoice(NO_COHORT, "No cohort")] + [
        SelectChoice(str(cohort_id), name) for cohort_id, name in cohorts
    ]
