"""Reports for educators: inter-rater reliability, group comparisons, scale checks."""

from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates")

from webapp.reports import views  # noqa: E402, F401
