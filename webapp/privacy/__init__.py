"""Privacy: consent for secondary uses, the exemplar library, retention, subject rights."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")

from webapp.privacy import tasks, views  # noqa: E402, F401
