"""A trainee's practice sessions: brief, recording or upload, progress, transcript."""

from flask import Blueprint

bp = Blueprint("practice", __name__, template_folder="templates")

from webapp.practice import tasks, views  # noqa: E402, F401
