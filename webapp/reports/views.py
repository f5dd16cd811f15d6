"""Report pages and their CSV, JSON and SVG forms (educators and admins)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, flash, jsonify, render_template, request, url_for
from markupsafe import Markup

from webapp.access import roles_required
from webapp.errors import DomainError
from webapp.models import Role
from webapp.reports import bp
from webapp.reports.data import list_cohort_names, list_instruments
from webapp.reports.memo import memoized
from webapp.reports.plots import group_means_svg
from webapp.reports.services import (
    build_comparison,
    build_reliability,
    build_scale_checks,
    comparison_groups,
    reliability_csv_rows,
    reliability_key,
)

READERS = (Role.EDUCATOR, Role.ADMIN)


def chosen_instrument() -> tuple[str, list[Any]]:
    instruments = list_instruments()
    slugs = [i.slug for i in instruments]
    wanted = request.args.get("instrument", "")
    return (wanted if wanted in slugs else (slugs[0] if slugs else "simulated-client")), instruments


@bp.route("/")
@roles_required(*READERS)
def index() -> Any:
    slug, instruments = chosen_instrument()
    return render_template("reports/index.html", slug=slug, instruments=instruments)


@bp.route("/reliability")
@roles_required(*READERS)
def reliability() -> Any:
    slug, instruments = chosen_instrument()
    key = reliability_key(slug)
    report = build_reliability(slug, key)
    # render_template's output is already escaped HTML, so marking it safe is sound.
    pairs = memoized(
        "reliability_pairs_html",
        key,
        lambda: Markup(render_template("reports/_rater_pairs.html", report=report)),  # noqa: S704  # nosec B704
    )
    return render_template(
        "reports/reliability.html", report=report, instruments=instruments, rater_pairs=pairs
    )


@bp.route("/reliability.json")
@roles_required(*READERS)
def reliability_json() -> Any:
    slug, _ = chosen_instrument()
    return jsonify(build_reliability(slug))


@bp.route("/reliability.csv")
@roles_required(*READERS)
def reliability_csv() -> Any:
    slug, _ = chosen_instrument()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(reliability_csv_rows(build_reliability(slug)))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="reliability-{slug}.csv"'},
    )


def comparison_args() -> dict[str, Any]:
    """Cohorts, one-against-rest and the period from the query string."""
    return {
        "cohorts": [c for c in request.args.getlist("cohort") if c],
        "against_rest": request.args.get("against_rest") == "1",
        "start": _date(request.args.get("start")),
        "end": _date(request.args.get("end")),
    }


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.route("/compare")
@roles_required(*READERS)
def compare() -> Any:
    slug, instruments = chosen_instrument()
    args = comparison_args()
    result, status = None, 200
    if args["cohorts"]:
        try:
            result = build_comparison(slug, **args)
        except DomainError as error:
            flash(error.message, "error")
            status = 422
    query = request.query_string.decode()
    chart_url = f"{url_for('reports.compare_svg')}?{query}" if result else None
    return render_template(
        "reports/compare.html",
        result=result,
        args=args,
        slug=slug,
        instruments=instruments,
        cohorts=list_cohort_names(),
        chart_url=chart_url,
    ), status


@bp.route("/compare.json")
@roles_required(*READERS)
def compare_json() -> Any:
    slug, _ = chosen_instrument()
    return jsonify(build_comparison(slug, **comparison_args()))


@bp.route("/compare.svg")
@roles_required(*READERS)
def compare_svg() -> Any:
    slug, _ = chosen_instrument()
    # The chart needs only the scores per group: no tests, and one read of the database.
    groups, grouped = comparison_groups(slug, **comparison_args())
    svg = group_means_svg(f"Final scores by group ({slug})", sorted(grouped), groups, grouped)
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/scale-checks")
@roles_required(*READERS)
def scale_checks() -> Any:
    slug, instruments = chosen_instrument()
    return render_template(
        "reports/scale_checks.html", checks=build_scale_checks(slug), instruments=instruments
    )
