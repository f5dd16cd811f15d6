"""Seed a realistic, consistent data set in bulk for ``benchmarks.load``.

Cohorts of trainees, raters and educators (one shared password hash: hashing 2,000
argon2id passwords would take minutes and measures nothing), the shipped vignette
library, READY recordings spread over 18 months, blind rating tasks (every recording a
primary rater, ``DOUBLE_CODED`` of them an independent second), ratings over the default
instrument's dimensions, and the final scores the app itself would derive from them
(single, mean of two close scores, or nothing while a wide gap waits for adjudication).
A share of tasks stays open so raters have a queue; some open tasks hold a draft.  Ratings
beyond one per task are changed versions (a change with a reason makes a new rating row),
so ``--ratings`` can exceed the number of tasks.  Cohorts get vignette assignments with
time-point labels for the progress pages, and queued recordings get a transcript.

Rows go in with SQLAlchemy Core ``executemany`` in a few transactions, with explicit ids.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rating.allocation import generate_public_code
from webapp.auth.passwords import hash_password
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import (
    Assignment,
    Cohort,
    FinalMethod,
    FinalScore,
    Rating,
    RatingMode,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    RecordingSource,
    RecordingStatus,
    Role,
    Segment,
    TaskRole,
    TaskStatus,
    Transcript,
    User,
    UserRole,
    Vignette,
)
from webapp.ops.maintenance import refresh_planner_statistics
from webapp.review.instruments import get_rating_instrument, instrument_of

PASSWORD = "load-benchmark-password"
DOUBLE_CODED = 0.5
OPEN_SHARE = 0.06  # tasks still waiting in a rater's queue
DRAFT_SHARE = 0.3  # of the open tasks, those with a saved draft
COHORT_SIZE = 250
SEGMENTS = 40  # transcript lines of a queued recording
BATCH = 5000
START = datetime(2025, 6, 1, tzinfo=UTC)
DAYS = 540  # recordings spread over about 18 months
# Educators have adjudicated the wide gaps of all but the last month's recordings.
ADJUDICATED_BEFORE = START + timedelta(days=DAYS - 30)


@dataclass(frozen=True)
class Sizes:
    trainees: int
    recordings: int
    ratings: int
    raters: int
    educators: int


@dataclass
class Seeded:
    """What the load clients need to know: who logs in, and where."""

    raters: list[str]
    educators: list[str]
    trainee_ids: list[int]
    cohort_ids: list[int]
    cohort_names: list[str]
    counts: dict[str, int]


def insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Executemany in batches: one round trip per batch, no ORM objects."""
    table = model.__table__
    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), list(rows[start : start + BATCH]))


def seed(sizes: Sizes, vignette_dir: Path, rng: random.Random) -> Seeded:
    """Fill an empty, migrated database; commits after each stage."""
    import_vignettes(vignette_dir)
    instrument = get_rating_instrument()
    dimensions = list(instrument_of(instrument).dimension_keys)
    db.session.commit()
    people = seed_people(sizes, rng)
    db.session.commit()
    versions = [v.current for v in db.session.scalars(sa.select(Vignette).order_by(Vignette.id))]
    recordings = seed_recordings(sizes.recordings, people["trainees"], versions, rng)
    db.session.commit()
    tasks = seed_tasks(recordings, people["raters"], instrument.id, rng)
    db.session.commit()
    ratings, n_ratings = seed_ratings(tasks, recordings, dimensions, sizes.ratings, rng)
    db.session.commit()
    finals = seed_final_scores(tasks, ratings, recordings, instrument.id)
    db.session.commit()
    seed_assignments(people["cohorts"], [v.vignette_id for v in versions])
    seed_transcripts([t.recording_id for t in tasks if t.status == TaskStatus.OPEN], rng)
    db.session.commit()
    fix_sequences()
    # What the nightly task would have done to a database in use (bulk inserts outrun it).
    refresh_planner_statistics()
    return Seeded(
        raters=[f"rater{i}@load.example" for i in range(sizes.raters)],
        educators=[f"educator{i}@load.example" for i in range(sizes.educators)],
        trainee_ids=people["trainees"],
        cohort_ids=people["cohorts"],
        cohort_names=[f"Cohort {i + 1:02d}" for i in range(len(people["cohorts"]))],
        counts={
            "trainees": len(people["trainees"]),
            "recordings": len(recordings),
            "rating tasks": len(tasks),
            "ratings": n_ratings,
            "final scores": finals,
        },
    )


def seed_people(sizes: Sizes, rng: random.Random) -> dict[str, list[int]]:
    password_hash = hash_password(PASSWORD)
    n_cohorts = max(2, sizes.trainees // COHORT_SIZE)
    cohorts: list[dict[str, Any]] = [
        {"id": i + 1, "name": f"Cohort {i + 1:02d}", "description": ""} for i in range(n_cohorts)
    ]
    insert(Cohort, [{**c, "created_at": START} for c in cohorts])
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    ids: dict[str, list[int]] = {"trainees": [], "raters": [], "educators": []}

    def add(kind: str, role: Role, count: int, cohort: Any = lambda i: None) -> None:
        for i in range(count):
            user_id = len(users) + 1
            users.append(
                {
                    "id": user_id,
                    "email": f"{kind}{i}@load.example",
                    "name": f"{kind.capitalize()} {i:04d} {secrets.token_hex(2)}",
                    "password_hash": password_hash,
                    "active": True,
                    "session_token": secrets.token_urlsafe(16),
                    "cohort_id": cohort(i),
                    "created_at": START,
                }
            )
            roles.append({"user_id": user_id, "role": role.value})
            ids[f"{kind}s"].append(user_id)

    add("trainee", Role.TRAINEE, sizes.trainees, lambda i: 1 + i % n_cohorts)
    add("rater", Role.RATER, sizes.raters)
    add("educator", Role.EDUCATOR, sizes.educators)
    insert(User, users)
    insert(UserRole, roles)
    return {**ids, "cohorts": [c["id"] for c in cohorts]}


@dataclass(frozen=True)
class Rec:
    id: int
    trainee_id: int
    quality: float  # the recording's "true" level, so coders agree more than by chance
    created: datetime


def seed_recordings(
    count: int, trainees: list[int], versions: list[Any], rng: random.Random
) -> list[Rec]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(generate_public_code(rng))
    rows: list[dict[str, Any]] = []
    recs: list[Rec] = []
    for i, code in enumerate(sorted(codes, key=lambda _: rng.random())):
        trainee = rng.choice(trainees)
        created = START + timedelta(minutes=rng.randrange(0, DAYS * 24 * 60))
        rows.append(
            {
                "id": i + 1,
                "trainee_id": trainee,
                "vignette_version_id": rng.choice(versions).id,
                "actor_name": "Load actor",
                "status": RecordingStatus.READY.value,
                "source": RecordingSource.IMPORT.value,
                "storage_key": secrets.token_hex(16),
                "public_code": code,
                "original_format": "ogg",
                "duration_seconds": rng.uniform(600, 1800),
                "created_at": created,
                "finished_at": created + timedelta(minutes=30),
                "retain_until": created + timedelta(days=730),
            }
        )
        recs.append(Rec(i + 1, trainee, rng.gauss(3.0, 0.9), created))
    insert(Recording, rows)
    return recs


@dataclass(frozen=True)
class Task:
    id: int
    recording_id: int
    role: str
    status: str
    rater_offset: float  # a rater's own leniency


def seed_tasks(
    recs: list[Rec], raters: list[int], instrument_id: int, rng: random.Random
) -> list[Task]:
    leniency = {r: rng.gauss(0, 0.3) for r in raters}
    rows: list[dict[str, Any]] = []
    tasks: list[Task] = []
    for rec in recs:
        coders = rng.sample(raters, 2 if rng.random() < DOUBLE_CODED else 1)
        for role, rater in zip((TaskRole.PRIMARY, TaskRole.SECOND), coders, strict=False):
            is_open = rng.random() < OPEN_SHARE
            task = Task(
                len(rows) + 1,
                rec.id,
                role.value,
                (TaskStatus.OPEN if is_open else TaskStatus.SUBMITTED).value,
                leniency[rater],
            )
            rows.append(
                {
                    "id": task.id,
                    "recording_id": rec.id,
                    "rater_id": rater,
                    "instrument_version_id": instrument_id,
                    "role": task.role,
                    "status": task.status,
                    "sort_key": rng.randrange(2**31),
                    "created_at": START,
                    "closed_at": None if is_open else START + timedelta(days=1),
                }
            )
            tasks.append(task)
    insert(RatingTask, rows)
    return tasks


def seed_ratings(
    tasks: list[Task], recs: list[Rec], dimensions: list[str], target: int, rng: random.Random
) -> tuple[dict[int, dict[str, int]], int]:
    """Ratings and their scores; returns each submitted task's latest scores, and the
    number of ratings."""
    quality = {r.id: r.quality for r in recs}
    started = [t for t in tasks if t.status == TaskStatus.SUBMITTED or rng.random() < DRAFT_SHARE]
    versions = {t.id: 1 for t in started}
    submitted = [t for t in started if t.status == TaskStatus.SUBMITTED]
    for _ in range(max(0, target - len(started))):
        versions[rng.choice(submitted).id] += 1
    ratings: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    latest: dict[int, dict[str, int]] = {}
    for task in started:
        for version in range(1, versions[task.id] + 1):
            is_draft = task.status == TaskStatus.OPEN
            rating_id = len(ratings) + 1
            ratings.append(
                {
                    "id": rating_id,
                    "task_id": task.id,
                    "version": version,
                    "status": (RatingStatus.DRAFT if is_draft else RatingStatus.SUBMITTED).value,
                    "mode": None if is_draft else rng.choice(list(RatingMode)).value,
                    "change_reason": None if version == 1 else "Re-listened after calibration.",
                    "created_at": START,
                    "submitted_at": None
                    if is_draft
                    else START + timedelta(days=1, seconds=rating_id),
                }
            )
            given = {
                d: min(
                    5,
                    max(
                        1, round(quality[task.recording_id] + task.rater_offset + rng.gauss(0, 0.7))
                    ),
                )
                for d in dimensions
            }
            scores.extend(
                {"rating_id": rating_id, "dimension": d, "score": s, "note": ""}
                for d, s in given.items()
            )
            if not is_draft:
                latest[task.id] = given
    insert(Rating, ratings)
    insert(RatingScore, scores)
    return latest, len(ratings)


def seed_final_scores(
    tasks: list[Task], latest: dict[int, dict[str, int]], recs: list[Rec], instrument_id: int
) -> int:
    """The SINGLE/MEAN final scores ``webapp.review.finals`` would write, in bulk; wide gaps
    older than ``ADJUDICATED_BEFORE`` have been adjudicated, newer ones wait."""
    created = {r.id: r.created for r in recs}
    by_recording: dict[int, list[Task]] = {}
    for task in tasks:
        by_recording.setdefault(task.recording_id, []).append(task)
    rows: list[dict[str, Any]] = []
    for recording_id, coded in by_recording.items():
        ready = [latest[t.id] for t in coded if t.id in latest]
        if len(ready) < len(coded):
            continue
        settled = created[recording_id] < ADJUDICATED_BEFORE
        for dimension, outcome in agree(ready).items():
            if outcome is None and settled:
                middle = sum(scores[dimension] for scores in ready) / len(ready)
                outcome = (float(round(middle)), FinalMethod.ADJUDICATED.value)
            if outcome is not None:
                rows.append(
                    {
                        "recording_id": recording_id,
                        "instrument_version_id": instrument_id,
                        "dimension": dimension,
                        "score": outcome[0],
                        "method": outcome[1],
                        "note": "Consensus after discussion." if settled else "",
                        "created_at": created[recording_id] + timedelta(days=2),
                    }
                )
    insert(FinalScore, rows)
    return len(rows)


def agree(ready: list[dict[str, int]], threshold: int = 2) -> dict[str, tuple[float, str] | None]:
    if len(ready) == 1:
        return {k: (float(v), FinalMethod.SINGLE.value) for k, v in ready[0].items()}
    first, second = ready
    return {
        k: ((first[k] + second[k]) / 2, FinalMethod.MEAN.value)
        if abs(first[k] - second[k]) < threshold
        else None
        for k in first
    }


def seed_assignments(cohorts: Iterable[int], vignette_ids: list[int]) -> None:
    rows = [
        {
            "vignette_id": vignette_id,
            "cohort_id": cohort_id,
            "time_point": f"T{number}",
            "note": "",
            "created_at": START,
        }
        for cohort_id in cohorts
        for number, vignette_id in enumerate(vignette_ids, start=1)
    ]
    insert(Assignment, rows)


def seed_transcripts(recording_ids: list[int], rng: random.Random) -> None:
    """A transcript for every queued recording, so rating pages show real lines."""
    wanted = sorted(set(recording_ids))
    insert(
        Transcript,
        [
            {
                "id": i + 1,
                "recording_id": rid,
                "version": 1,
                "model": "load",
                "language": "en",
                "created_at": START,
            }
            for i, rid in enumerate(wanted)
        ],
    )
    segments: list[dict[str, Any]] = [
        {
            "transcript_id": i + 1,
            "position": p,
            "start": p * 12.0,
            "end": p * 12.0 + 11.0,
            "text": (
                "Can you tell me what a usual morning looks like for you and the children? " * 2
            ).strip(),
            "speaker": "worker" if p % 2 == 0 else "client",
            "words": [],
        }
        for i in range(len(wanted))
        for p in range(SEGMENTS)
    ]
    insert(Segment, segments)


SEQUENCED = (
    "cohorts",
    "users",
    "recordings",
    "rating_tasks",
    "ratings",
    "final_scores",
    "assignments",
    "transcripts",
    "transcript_segments",
)


def fix_sequences() -> None:
    """PostgreSQL: move each id sequence past the explicit ids (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in SEQUENCED:
        # Table names come from the constant above, never from input.
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        db.session.execute(sa.text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
    db.session.commit()
