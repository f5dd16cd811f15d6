"""Users, their roles, and cohorts (the comparison groups raters must never see)."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from webapp.extensions import Model
from webapp.orm import utcnow


class Role(StrEnum):
    """What a person does in the app; one user may hold several roles."""

    TRAINEE = "trainee"
    ACTOR = "actor"
    RATER = "rater"
    EDUCATOR = "educator"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.TRAINEE: "Trainee",
    Role.ACTOR: "Actor",
    Role.RATER: "Rater",
    Role.EDUCATOR: "Educator",
    Role.ADMIN: "Administrator",
}


def new_session_token() -> str:
    """A random token that is part of the login cookie; rotating it ends all sessions."""
    return secrets.token_urlsafe(16)


def trainee_estimates_default() -> bool:
    """New cohorts start from ``SHOW_ESTIMATES_TO_TRAINEES`` (off unless the operator set it);
    educators then switch each cohort on the model page."""
    from flask import current_app, has_app_context

    return has_app_context() and bool(current_app.config.get("SHOW_ESTIMATES_TO_TRAINEES"))


class Cohort(Model):
    """A group of trainees compared in reports, e.g. an intake year or a site.

    ``show_estimates_to_trainees`` is the educators' switch: whether this cohort's trainees
    see the model's advisory estimates on their own recordings.
    """

    __tablename__ = "cohorts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    show_estimates_to_trainees: so.Mapped[bool] = so.mapped_column(
        default=trainee_estimates_default, server_default=sa.false()
    )

    members: so.WriteOnlyMapped[User] = so.relationship(
        back_populates="cohort", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.name!r}>"


class UserRole(Model):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)


class User(UserMixin, Model):
    """A person who logs in."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    cohort_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None]

    cohort: so.Mapped[Cohort | None] = so.relationship(back_populates="members")
    role_rows: so.Mapped[list[UserRole]] = so.relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def get_id(self) -> str:
        # The token makes old cookies useless once it is rotated.
        return f"{self.id}.{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"
