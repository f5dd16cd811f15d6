"""Feedback to trainees: releasing final scores, the released feedback with anchors,
raters' comments and moments, progress over time, planning notes and reflections, and a
plain-language page on who can see a recording."""

from flask import Blueprint

bp = Blueprint("feedback", __name__, template_folder="templates")

from webapp.feedback import links, views  # noqa: E402, F401
