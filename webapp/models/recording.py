"""Recordings of practice interviews, their upload chunks, and their transcripts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class RecordingStatus(StrEnum):
    """Where a recording is on its way from microphone to transcript."""

    RECORDING = "recording"  # the browser is still sending chunks
    PROCESSING = "processing"  # audio received; playback copy and transcript being made
    READY = "ready"  # transcript available
    FAILED = "failed"  # the audio could not be used; ``error`` says why


class RecordingSource(StrEnum):
    BROWSER = "browser"
    UPLOAD = "upload"
    IMPORT = "import"


class Speaker(StrEnum):
    WORKER = "worker"
    CLIENT = "client"


class Recording(Model):
    """One practice interview: who, which vignette version, and where its audio lives.

    Files live under ``DATA_DIR/recordings/<storage_key>/`` with server-made names; the
    client's file name is kept only to show back to the trainee, never used as a path
    and never shown to raters.
    """

    __tablename__ = "recordings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    trainee_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    vignette_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vignette_versions.id", ondelete="RESTRICT"), index=True
    )
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=RecordingStatus.RECORDING)
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default=RecordingSource.BROWSER)
    storage_key: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    # The opaque code raters know the recording by; set when it is allocated.
    public_code: so.Mapped[str | None] = so.mapped_column(sa.String(16), unique=True)
    original_name: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    original_format: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    size_bytes: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    duration_seconds: so.Mapped[float | None]
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_chunk_at: so.Mapped[datetime | None]
    finished_at: so.Mapped[datetime | None]
    # Retention: past this date a periodic job deletes the audio and transcript text and
    # keeps the de-identified scores; ``purged_at`` records when that happened.
    retain_until: so.Mapped[datetime | None] = so.mapped_column(index=True)
    purged_at: so.Mapped[datetime | None]

    trainee = so.relationship("User", foreign_keys=[trainee_id])
    actor = so.relationship("User", foreign_keys=[actor_id])
    vignette_version = so.relationship("VignetteVersion")
    chunks: so.Mapped[list[RecordingChunk]] = so.relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="RecordingChunk.seq"
    )
    transcripts: so.Mapped[list[Transcript]] = so.relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="Transcript.version"
    )

    @property
    def latest_transcript(self) -> Transcript | None:
        return self.transcripts[-1] if self.transcripts else None


class RecordingChunk(Model):
    """A numbered piece of a browser recording; re-sending the same piece is harmless."""

    __tablename__ = "recording_chunks"
    __table_args__ = (sa.UniqueConstraint("recording_id", "seq"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    seq: so.Mapped[int]
    size_bytes: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    recording: so.Mapped[Recording] = so.relationship(back_populates="chunks")


class Transcript(Model):
    """One version of a recording's transcript.  Version 1 is the recogniser's; each
    correction (speaker switch, split, merge) makes a new version and keeps the old."""

    __tablename__ = "transcripts"
    __table_args__ = (sa.UniqueConstraint("recording_id", "version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    version: so.Mapped[int]
    model: so.Mapped[str] = so.mapped_column(sa.String(255))
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    recording: so.Mapped[Recording] = so.relationship(back_populates="transcripts")
    segments: so.Mapped[list[Segment]] = so.relationship(
        back_populates="transcript",
        cascade="all, delete-orphan",
        order_by="Segment.position",
        lazy="selectin",
    )

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


class Segment(Model):
    """A stretch of speech with its timing, speaker, confidence figures and words."""

    __tablename__ = "transcript_segments"
    __table_args__ = (sa.UniqueConstraint("transcript_id", "position"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    transcript_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int]
    start: so.Mapped[float]
    end: so.Mapped[float]
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    speaker: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    avg_logprob: so.Mapped[float | None]
    no_speech_prob: so.Mapped[float | None]
    # [[start, end, word, probability], ...]: words are read together with their segment
    words: so.Mapped[list[Any]] = so.mapped_column(sa.JSON, default=list)

    transcript: so.Mapped[Transcript] = so.relationship(back_populates="segments")
