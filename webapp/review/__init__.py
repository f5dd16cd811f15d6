"""Blind rating: a rater's queue, the rating form, recusal, and the instrument admin page."""

from flask import Blueprint

bp = Blueprint("review", __name__, template_folder="templates")

from webapp.review import views  # noqa: E402, F401
