"""Demonstration data: cohorts, one user per role (and a few more), the vignettes.

Every demo account shares ``DEMO_PASSWORD`` (documented in the README).  Loading is
idempotent: existing demo users and cohorts are left as they are.  Demo data is never
loaded in production mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from webapp.admin.services import UserDetails, create_cohort, create_user
from webapp.config import PRODUCTION
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Cohort, Recording, RecordingSource, Role, User
from webapp.orm import utcnow


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
    db.session.flush()
    load_demo_recordings()
    from webapp.demo_ratings import load_demo_ratings

    load_demo_ratings()
    from webapp.estimates.demo import load_demo_training_archive

    load_demo_training_archive()  # text-only synthetic archive: enough to train the model
    from webapp.privacy.demo import grant_demo_consents

    grant_demo_consents()  # the fictional demo people opt in to every use
    from webapp.privacy.demo import set_demo_retention

    set_demo_retention()  # any demo record still without a retention date gets one now
    return demo_logins()


DEMO_AUDIO = Path(__file__).resolve().parent / "demo_data" / "audio"

# (trainee, interview file, days ago): two trainees meet both parallel forms, weeks apart.
DEMO_RECORDINGS = (
    ("trainee1@example.org", "school-referral-late-and-hungry-mixed", 56),
    ("trainee1@example.org", "school-referral-tired-and-unkempt-strong", 7),
    ("trainee2@example.org", "school-referral-late-and-hungry-strong", 49),
    ("trainee3@example.org", "school-referral-late-and-hungry-weak", 42),
    ("trainee3@example.org", "school-referral-tired-and-unkempt-mixed", 5),
    ("trainee4@example.org", "cp-plan-alcohol-and-domestic-abuse-weak", 21),
)


def load_demo_recordings() -> list[int]:
    """Import the synthesised demo interviews; transcription is queued as for uploads."""
    created = []
    actor = db.session.scalar(sa.select(User).where(User.email == "actor@example.org"))
    for email, name, days_ago in DEMO_RECORDINGS:
        trainee = db.session.scalar(sa.select(User).where(User.email == email))
        if trainee is None or _has_demo_recording(trainee, name):
            continue
        created.append(_import_demo_recording(trainee, actor, name, days_ago))
    return created


def _has_demo_recording(trainee: User, name: str) -> bool:
    query = sa.select(Recording.id).where(
        Recording.trainee_id == trainee.id, Recording.original_name == f"{name}.ogg"
    )
    return db.session.scalar(query) is not None


def _import_demo_recording(trainee: User, actor: User | None, name: str, days_ago: int) -> int:
    from webapp.practice.services import ActorChoice, accept_upload, get_active_vignette
    from webapp.privacy.retention import default_retain_until

    slug = name.rsplit("-", 1)[0]
    choice = ActorChoice(actor_id=actor.id) if actor else ActorChoice(actor_name="Demo actor")
    with (DEMO_AUDIO / f"{name}.ogg").open("rb") as stream:
        recording = accept_upload(
            trainee,
            get_active_vignette(slug),
            choice,
            stream,
            f"{name}.ogg",
            source=RecordingSource.IMPORT,
        )
    when = utcnow() - timedelta(days=days_ago)
    recording.created_at = recording.finished_at = when
    recording.retain_until = default_retain_until(when)  # the policy counts from the session
    return recording.id


def _ensure_cohort(name: str, description: str) -> Cohort:
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == name))
    return cohort or create_cohort(name, description)
