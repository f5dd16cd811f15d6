"""A trainee's released final scores over time, as a table and a small SVG chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import FeedbackRelease, FinalScore, InstrumentVersion, Recording, User
from webapp.review.instruments import instrument_of


@dataclass(frozen=True)
class ProgressRow:
    recording_id: int
    created_at: datetime
    title: str
    scores: dict[str, float]


@dataclass(frozen=True)
class Progress:
    dimensions: list[tuple[str, str]]  # (key, label), in instrument order
    rows: list[ProgressRow]  # oldest first


def get_progress(trainee: User) -> Progress:
    """Final scores of the trainee's released recordings, oldest session first."""
    query = (
        sa.select(FinalScore, Recording, InstrumentVersion)
        .join(Recording, Recording.id == FinalScore.recording_id)
        .join(FeedbackRelease, FeedbackRelease.recording_id == Recording.id)
        .join(InstrumentVersion, InstrumentVersion.id == FinalScore.instrument_version_id)
        .where(Recording.trainee_id == trainee.id)
        .order_by(Recording.created_at, Recording.id)
    )
    rows: dict[int, ProgressRow] = {}
    labels: dict[str, str] = {}
    for final, recording, version in db.session.execute(query):
        row = rows.setdefault(
            recording.id,
            ProgressRow(recording.id, recording.created_at, recording.vignette_version.title, {}),
        )
        row.scores[final.dimension] = final.score
        if final.dimension not in labels:
            labels.update(_labels(version))
    # Every dimension of the instrument, so one still being agreed shows as such.
    return Progress(dimensions=list(labels.items()), rows=list(rows.values()))


def _labels(version: InstrumentVersion) -> dict[str, str]:
    return {d.key: d.label for d in instrument_of(version).dimensions}


def progress_svg(progress: Progress) -> str:
    """One line per dimension across sessions (x: session date, y: final score 1–5)."""
    from webapp.reports.plots import COLOURS, _to_svg, plt

    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=100)
    xs = list(range(1, len(progress.rows) + 1))
    for index, (key, label) in enumerate(progress.dimensions):
        points = [
            (x, row.scores[key])
            for x, row in zip(xs, progress.rows, strict=True)
            if key in row.scores
        ]
        axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            marker="o",
            label=label,
            color=COLOURS[index % len(COLOURS)],
        )
    axes.set_xticks(xs, [row.created_at.strftime("%d %b %Y") for row in progress.rows])
    axes.set_xlim(0.5, max(len(xs), 1) + 0.5)
    axes.set_ylim(0.5, 5.5)
    axes.set_title("My released final scores over time")
    axes.set_xlabel("Practice session (date)")
    axes.set_ylabel("Final score (1–5)")
    if progress.dimensions:
        axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return str(_to_svg(figure))
