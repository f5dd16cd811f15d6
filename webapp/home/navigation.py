"""Role-aware navigation: each entry names the roles that see it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_login import current_user

from webapp.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


EDUCATORS = frozenset({Role.EDUCATOR, Role.ADMIN})
NAV_ITEMS = (
    NavItem("Home", "home.index", frozenset(Role)),
    NavItem("My practice", "practice.index", frozenset({Role.TRAINEE})),
    NavItem("My progress", "feedback.progress", frozenset({Role.TRAINEE})),
    NavItem(
        "After-session forms", "moderation.companion_index", frozenset({Role.TRAINEE, Role.ACTOR})
    ),
    NavItem("Vignettes", "library.index", frozenset({Role.TRAINEE, Role.ACTOR, *EDUCATORS})),
    NavItem("Exemplars", "privacy.exemplars", frozenset({Role.TRAINEE, *EDUCATORS})),
    NavItem("Rating", "review.index", frozenset({Role.RATER})),
    NavItem("Dashboard", "dashboard.index", EDUCATORS),
    NavItem("Moderation", "moderation.index", EDUCATORS),
    NavItem("Feedback", "feedback.index", EDUCATORS),
    NavItem("Reports", "reports.index", EDUCATORS),
    NavItem("Exports", "exports.index", EDUCATORS),
    NavItem("Model", "estimates.index", EDUCATORS),
    NavItem("Users", "admin.users", frozenset({Role.ADMIN})),
    NavItem("Cohorts", "admin.cohorts", frozenset({Role.ADMIN})),
    NavItem("Audit log", "admin.audit_log", frozenset({Role.ADMIN})),
    NavItem("Instruments", "review.instruments", frozenset({Role.ADMIN})),
)


def navigation() -> list[NavLink]:
    """The links the current user may follow, marking the section being shown."""
    if not current_user.is_authenticated:
        return []
    roles = current_user.roles
    blueprint = (request.endpoint or "").split(".")[0]
    return [
        NavLink(item.label, url_for(item.endpoint), _is_active(item.endpoint, blueprint))
        for item in NAV_ITEMS
        if not item.roles.isdisjoint(roles)
    ]


def _is_active(endpoint: str, blueprint: str) -> bool:
    if endpoint == request.endpoint:
        return True
    return (
        endpoint != "home.index"
        and endpoint.split(".")[0] == blueprint
        and endpoint.endswith("index")
    )
