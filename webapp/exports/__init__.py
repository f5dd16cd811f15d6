"""Research exports (educators and admins): ratings, final scores, reliability pairs."""

from flask import Blueprint

bp = Blueprint("exports", __name__, template_folder="templates")

from webapp.exports import views  # noqa: E402, F401
