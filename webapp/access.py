"""Who may use which route.  Every view declares it; anything undeclared is denied.

Declare with one of:

* ``@roles_required(Role.EDUCATOR, Role.ADMIN)``: logged in and holding one of the roles;
* ``@login_required_any``: any logged-in, active user;
* ``@public``: anyone (login page, health checks, static files).

``enforce_access`` runs before every request.  It sends anonymous users to the login
page, answers 403 (and audits it) for a missing role, and answers 403 for a route that
declared nothing, so a forgotten declaration fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from webapp.models import AuditAction, Role

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "access_roles"
PUBLIC = "public"
ANY_USER = "any-user"

Access = frozenset[Role] | str


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow logged-in users who hold at least one of ``roles``."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def mark(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(roles))
        return view

    return mark


def login_required_any(view: F) -> F:
    """Allow any logged-in user, whatever their roles."""
    setattr(view, ACCESS_ATTRIBUTE, ANY_USER)
    return view


def public(view: F) -> F:
    """Allow everyone, logged in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def get_access(endpoint: str | None) -> Access | None:
    """Return what an endpoint declared, or None when it declared nothing."""
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def is_allowed(access: Access, roles: frozenset[Role]) -> bool:
    if access in (PUBLIC, ANY_USER):
        return True
    return isinstance(access, frozenset) and not access.isdisjoint(roles)


def enforce_access() -> Any:
    """``before_request`` hook applying the declarations above."""
    if request.endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    access = get_access(request.endpoint)
    if access is None:
        current_app.logger.error("route %s declares no roles; denied", request.endpoint)
        abort(403)
    if access == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not is_allowed(access, current_user.roles):
        deny_access(request.endpoint)
    return None


def deny_access(endpoint: str) -> None:
    """Audit a refused request, commit it on its own, and answer 403."""
    from webapp.audit import record_event
    from webapp.extensions import db

    db.session.rollback()
    record_event(AuditAction.ACCESS_DENIED, detail={"endpoint": endpoint, "method": request.method})
    db.session.commit()
    abort(403)
