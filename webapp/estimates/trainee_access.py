"""The educators' switch: may a cohort's trainees see estimates on their own recordings?

The setting is per cohort (``cohorts.show_estimates_to_trainees``), not app-wide: cohorts
are taught by different educators and reach the model at different points of a course, and
an educator who shows estimates to one intake must not change what another intake sees.
New cohorts start from ``SHOW_ESTIMATES_TO_TRAINEES`` (off by default); a trainee in no
cohort follows that setting too, as there is no cohort switch to consult.  Raters never
see estimates, whatever the switch says (see ``advice.can_see_estimates``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from webapp.audit import record_event
from webapp.errors import InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Cohort, User

SWITCH_VALUES = {"1": True, "0": False}


def list_cohort_switches() -> list[Cohort]:
    return list(db.session.scalars(sa.select(Cohort).order_by(Cohort.name)))


def trainee_sees_estimates(trainee: User) -> bool:
    """Whether the switch that applies to ``trainee`` (their cohort's, else the default) is on."""
    if trainee.cohort is None:
        return bool(current_app.config["SHOW_ESTIMATES_TO_TRAINEES"])
    return trainee.cohort.show_estimates_to_trainees


def parse_switch(value: str | None) -> bool:
    if value not in SWITCH_VALUES:
        raise InvalidInput("Choose whether to show estimates to the cohort's trainees (1 or 0).")
    return SWITCH_VALUES[value]


def set_trainee_access(cohort_id: int, show: bool, educator: User) -> Cohort:
    """Turn a cohort's switch on or off (audited, caller commits); 404 for no such cohort."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort.")
    before = cohort.show_estimates_to_trainees
    cohort.show_estimates_to_trainees = show
    record_event(
        AuditAction.ESTIMATES_TRAINEE_ACCESS,
        obj=cohort,
        actor=educator,
        detail={"show_estimates_to_trainees": show, "before": before},
    )
    return cohort
