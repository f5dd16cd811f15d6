"""Writing audit events.  Callers commit; the event shares the change's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from webapp.extensions import db
from webapp.models import AuditAction, AuditEvent, User


def record_event(
    action: AuditAction,
    *,
    obj: Any = None,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (flushes nothing, commits nothing)."""
    event = AuditEvent(
        action=str(action),
        actor_id=_actor_id(actor),
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) else None,
        ip=request.remote_addr if has_request_context() else None,
        detail=detail or {},
    )
    db.session.add(event)
    return event


def _actor_id(actor: User | None) -> int | None:
    if actor is not None:
        return actor.id
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None
