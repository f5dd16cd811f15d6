"""Export pages and downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_login import current_user

from webapp.access import roles_required
from webapp.audit import record_event
from webapp.errors import DomainError, NotFound
from webapp.exports import bp
from webapp.exports.data import Dataset, build_table
from webapp.exports.formats import to_csv, to_xlsx
from webapp.extensions import db
from webapp.models import AuditAction, Role

FORMATS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


class IdentifiedExportRefused(DomainError):
    status = 403


@bp.route("/")
@roles_required(Role.EDUCATOR, Role.ADMIN)
def index() -> Any:
    return render_template("exports/index.html", datasets=list(Dataset), formats=list(FORMATS))


@bp.route("/<dataset>.<fmt>")
@roles_required(Role.EDUCATOR, Role.ADMIN)
def download(dataset: str, fmt: str) -> Any:
    if dataset not in set(Dataset) or fmt not in FORMATS:
        raise NotFound("There is no such export.")
    identified = request.args.get("identified") == "1"
    if identified and not current_user.has_role(Role.ADMIN):
        raise IdentifiedExportRefused("Only administrators may export names and emails.")
    research_only = request.args.get("research_only") == "1"
    table = build_table(Dataset(dataset), identified=identified, research_only=research_only)
    action = AuditAction.EXPORT_IDENTIFIED if identified else AuditAction.EXPORT_DOWNLOADED
    detail = {"dataset": dataset, "format": fmt, "rows": len(table.rows)}
    record_event(action, detail=detail | {"research_only": research_only})
    db.session.commit()
    writer, mimetype = FORMATS[fmt]
    suffix = ("-research" if research_only else "") + ("-identified" if identified else "")
    return Response(
        writer(table),
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={dataset}{suffix}.{fmt}"},
    )
