"""Demonstration data: cohorts, one user per role (and a few more), the vignettes.

Every demo account shares ``DEMO_PASSWORD`` (documented in the README).  Loading is
idempotent: existing demo users and cohorts are left as they are.  Demo data is never
loaded in production mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from webapp.admin.services import UserDetails, create_cohort, create_user
from webapp.config import PRODUCTION
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Cohort, Role, User


class DemoRefused(RuntimeError):
    """Demo data was asked for where it must not go."""


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[Role, ...]
    cohort: str | None = None


DEMO_COHORTS = {
    "2026 spring intake": "Newly qualified workers who started in March 2026.",
    "2026 autumn intake": "Newly qualified workers who started in September 2026.",
}

DEMO_USERS = (
    DemoUser("admin@example.org", "Alex Admin", (Role.ADMIN,)),
    DemoUser("educator@example.org", "Eve Educator", (Role.EDUCATOR,)),
    DemoUser("rater1@example.org", "Rowan Rater", (Role.RATER,)),
    DemoUser("rater2@example.org", "Riley Rater", (Role.RATER,)),
    DemoUser("actor@example.org", "Ash Actor", (Role.ACTOR,)),
    DemoUser("trainee1@example.org", "Taylor Trainee", (Role.TRAINEE,), "2026 spring intake"),
    DemoUser("trainee2@example.org", "Jordan Trainee", (Role.TRAINEE,), "2026 spring intake"),
    DemoUser("trainee3@example.org", "Morgan Trainee", (Role.TRAINEE,), "2026 autumn intake"),
    DemoUser("trainee4@example.org", "Casey Trainee", (Role.TRAINEE,), "2026 autumn intake"),
)


def demo_logins() -> list[tuple[str, str]]:
    """(email, roles) for every demo account, for printing."""
    return [(user.email, ", ".join(user.roles)) for user in DEMO_USERS]


def load_demo() -> list[tuple[str, str]]:
    """Create the demo cohorts and users and import the vignettes (caller commits)."""
    if current_app.config["APP_ENV"] == PRODUCTION:
        raise DemoRefused("Demo data is never loaded in production mode.")
    cohorts = {name: _ensure_cohort(name, text) for name, text in DEMO_COHORTS.items()}
    password = current_app.config["DEMO_PASSWORD"]
    for demo in DEMO_USERS:
        if db.session.scalar(sa.select(User).where(User.email == demo.email)) is None:
            cohort_id = cohorts[demo.cohort].id if demo.cohort else None
            details = UserDetails(demo.email, demo.name, frozenset(demo.roles), cohort_id)
            create_user(details, password)
    import_vignettes(Path(current_app.config["VIGNETTE_DIR"]))
    return demo_logins()


def _ensure_cohort(name: str, description: str) -> Cohort:
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == name))
    return cohort or create_cohort(name, description)
