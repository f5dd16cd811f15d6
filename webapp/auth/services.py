"""Authentication rules: checking credentials, rotating sessions, changing passwords."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.auth.passwords import (
    burn_verification_time,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from webapp.errors import InvalidInput
from webapp.extensions import db
from webapp.models import AuditAction, User, new_session_token
from webapp.orm import utcnow


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the user for valid credentials, else None; audits both outcomes.

    Unknown email, wrong password and deactivated account all look the same to the
    caller, so the login page cannot be used to find out who has an account.
    """
    user = get_user_by_email(email)
    if user is None:
        burn_verification_time(password)
        record_event(AuditAction.LOGIN_FAILED, detail={"reason": "unknown-email"})
        return None
    if not verify_password(user.password_hash, password):
        record_event(AuditAction.LOGIN_FAILED, actor=user, obj=user, detail={"reason": "password"})
        return None
    if not user.active:
        record_event(AuditAction.LOGIN_FAILED, actor=user, obj=user, detail={"reason": "inactive"})
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record_event(AuditAction.LOGIN_SUCCEEDED, actor=user, obj=user)
    return user


def set_password(user: User, new_password: str) -> None:
    """Set a new password and end every existing session of that user."""
    problem = check_password_rules(new_password)
    if problem:
        raise InvalidInput(problem)
    user.password_hash = hash_password(new_password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Invalidate every login cookie issued to ``user`` so far."""
    user.session_token = new_session_token()


def change_own_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidInput("Your current password is not right.")
    set_password(user, new)
    record_event(AuditAction.PASSWORD_CHANGED, actor=user, obj=user)


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login loader: the id must carry the user's current session token."""
    user_id, _, token = session_id.partition(".")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
