"""Vignettes (case scenarios) and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class Vignette(Model):
    """A scenario's stable identity; its content lives in versions."""

    __tablename__ = "vignettes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    retired_at: so.Mapped[datetime | None]

    versions: so.Mapped[list[VignetteVersion]] = so.relationship(
        back_populates="vignette", order_by="VignetteVersion.number", lazy="selectin"
    )

    @property
    def current(self) -> VignetteVersion:
        """The newest version: what new sessions use."""
        return self.versions[-1]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class VignetteVersion(Model):
    """The content of a vignette at one point in time; never edited after creation."""

    __tablename__ = "vignette_versions"
    __table_args__ = (sa.UniqueConstraint("vignette_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vignette_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vignettes.id", ondelete="RESTRICT"), index=True
    )
    number: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    summary: so.Mapped[str] = so.mapped_column(sa.Text)
    trainee_brief: so.Mapped[str] = so.mapped_column(sa.Text)
    actor_brief: so.Mapped[dict[str, Any]]
    actor_directive: so.Mapped[str] = so.mapped_column(sa.Text)
    presenting_concerns: so.Mapped[list[str]]
    strengths: so.Mapped[list[str]]
    legal_status: so.Mapped[str] = so.mapped_column(sa.String(200))
    target_minutes: so.Mapped[int] = so.mapped_column(default=30)
    difficulty: so.Mapped[str] = so.mapped_column(sa.String(20))
    parallel_group: so.Mapped[str | None] = so.mapped_column(sa.String(80), index=True)
    tags: so.Mapped[list[str]] = so.mapped_column(default=list)
    content_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Whether sessions with this version offer the short after-session forms.
    companion_forms: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    source: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    vignette: so.Mapped[Vignette] = so.relationship(back_populates="versions")
