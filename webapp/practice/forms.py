"""Forms for starting a practice session."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

NO_ACTOR = ""


class StartSessionForm(FlaskForm):
    actor_id = SelectField("Actor", choices=[], validate_choice=True)
    actor_name = StringField(
        "…or the actor's name, if they have no account", validators=[Optional(), Length(max=120)]
    )
    submit = SubmitField("Start recording in the browser")


def actor_choices(actors: list[tuple[int, str]]) -> list[SelectChoice]:
    return [SelectChoice(NO_ACTOR, "Choose an actor")] + [
        SelectChoice(str(actor_id), name) for actor_id, name in actors
    ]
