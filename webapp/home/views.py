"""The home page: one section per role the user holds."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from webapp.access import login_required_any
from webapp.extensions import db
from webapp.home import bp
from webapp.models import Cohort, Role, User, Vignette


@bp.route("/")
@login_required_any
def index() -> Any:
    roles = current_user.roles
    context: dict[str, Any] = {"roles": roles, "Role": Role}
    if roles & {Role.TRAINEE, Role.ACTOR, Role.EDUCATOR, Role.ADMIN}:
        context["active_vignettes"] = _count(
            sa.select(sa.func.count()).select_from(Vignette).where(Vignette.retired_at.is_(None))
        )
    if Role.ADMIN in roles:
        context["user_count"] = _count(sa.select(sa.func.count()).select_from(User))
        context["cohort_count"] = _count(sa.select(sa.func.count()).select_from(Cohort))
    return render_template("home/index.html", **context)


def _count(statement: sa.Select[Any]) -> int:
    return int(db.session.scalar(statement) or 0)
