"""Educator dashboards: cohort overview, trainee trajectories, cohort progress, assignments."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates")

from webapp.dashboard import views  # noqa: E402, F401
