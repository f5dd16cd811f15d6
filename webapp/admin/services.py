"""Creating and changing users and cohorts.  Functions flush; callers commit once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.auth.passwords import check_password_rules, hash_password
from webapp.auth.services import end_sessions, normalise_email, set_password
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Cohort, Role, User, UserRole

AUDITED_VALUES = frozenset({"roles", "cohort_id"})


@dataclass(frozen=True)
class UserDetails:
    """What an admin (or the command line) says about a user."""

    email: str
    name: str
    roles: frozenset[Role]
    cohort_id: int | None = None


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Turn role names into roles, naming any that do not exist."""
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise InvalidInput(f"Unknown role {name!r}. Roles are: {known}.") from None
    return frozenset(roles)


def get_cohort_by_name(name: str) -> Cohort:
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == name.strip()))
    if cohort is None:
        raise NotFound(f"There is no cohort called {name!r}.")
    return cohort


def list_cohorts() -> list[Cohort]:
    return list(db.session.scalars(sa.select(Cohort).order_by(Cohort.name)))


def _check_details(details: UserDetails, user: User | None = None) -> str:
    email = normalise_email(details.email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput(f"{details.email!r} is not an email address.")
    if not details.name.strip():
        raise InvalidInput("Give the person's name.")
    if not details.roles:
        raise InvalidInput("Give the user at least one role.")
    clash = db.session.scalar(sa.select(User).where(User.email == email))
    if clash is not None and clash is not user:
        raise Conflict(f"A user with the email {email} already exists.")
    if details.cohort_id is not None and db.session.get(Cohort, details.cohort_id) is None:
        raise NotFound("That cohort does not exist.")
    return email


def create_user(details: UserDetails, password: str) -> User:
    """Create a user with roles and an optional cohort."""
    email = _check_details(details)
    problem = check_password_rules(password)
    if problem:
        raise InvalidInput(problem)
    user = User(
        email=email,
        name=details.name.strip(),
        password_hash=hash_password(password),
        cohort_id=details.cohort_id,
        role_rows=[UserRole(role=str(role)) for role in sorted(details.roles)],
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        AuditAction.USER_CREATED,
        obj=user,
        detail={key: value for key, value in _describe(user).items() if key in AUDITED_VALUES},
    )
    return user


def update_user(user: User, details: UserDetails) -> None:
    """Change a user's email, name, roles and cohort."""
    email = _check_details(details, user)
    before = _describe(user)
    user.email = email
    user.name = details.name.strip()
    user.cohort_id = details.cohort_id
    _set_roles(user, details.roles)
    db.session.flush()
    db.session.refresh(user)
    after = _describe(user)
    # Names and emails stay out of the append-only log: it records which fields
    # changed, and the new values only for roles and cohort.
    changed = {
        key: (after[key] if key in AUDITED_VALUES else "changed")
        for key in after
        if before.get(key) != after[key]
    }
    if changed:
        record_event(AuditAction.USER_UPDATED, obj=user, detail={"changed": changed})


def _set_roles(user: User, roles: frozenset[Role]) -> None:
    wanted = {str(role) for role in roles}
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=name) for name in sorted(wanted - {row.role for row in user.role_rows})
    ]


def reset_password(user: User, password: str) -> None:
    set_password(user, password)
    record_event(AuditAction.PASSWORD_CHANGED, obj=user, detail={"by_admin": True})


def set_active(user: User, active: bool, *, acting_user: User | None = None) -> None:
    """Deactivate (ending every session) or reactivate a user."""
    if not active and acting_user is not None and acting_user.id == user.id:
        raise InvalidInput("You cannot deactivate your own account.")
    if user.active == active:
        return
    user.active = active
    if not active:
        end_sessions(user)
    action = AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED
    record_event(action, obj=user)


def create_cohort(name: str, description: str = "") -> Cohort:
    name = name.strip()
    if not name:
        raise InvalidInput("Give the cohort a name.")
    if db.session.scalar(sa.select(Cohort).where(Cohort.name == name)) is not None:
        raise Conflict(f"A cohort called {name!r} already exists.")
    cohort = Cohort(name=name, description=description.strip())
    db.session.add(cohort)
    db.session.flush()
    record_event(AuditAction.COHORT_CREATED, obj=cohort, detail={"name": name})
    return cohort


def update_cohort(cohort: Cohort, name: str, description: str) -> None:
    name = name.strip()
    if not name:
        raise InvalidInput("Give the cohort a name.")
    clash = db.session.scalar(sa.select(Cohort).where(Cohort.name == name))
    if clash is not None and clash is not cohort:
        raise Conflict(f"A cohort called {name!r} already exists.")
    detail = {"name": [cohort.name, name]} if cohort.name != name else {}
    cohort.name = name
    cohort.description = description.strip()
    record_event(AuditAction.COHORT_UPDATED, obj=cohort, detail=detail)


def _describe(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "roles": sorted(row.role for row in user.role_rows),
        "cohort_id": user.cohort_id,
    }
