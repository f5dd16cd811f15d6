"""Moderation: adjudicating double-coded disagreements, calibrating raters against gold
standards, and the short companion forms trainees and actors fill in after a session."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, template_folder="templates")

from webapp.moderation import views  # noqa: E402, F401
