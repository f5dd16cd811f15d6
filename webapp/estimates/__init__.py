"""Advisory rating estimates: training the transcript classifier on the app's data, its
model page for educators, and estimates beside a recording (never for raters).

Views, services and templates follow the other feature packages; see views.py."""

from flask import Blueprint

bp = Blueprint("estimates", __name__, template_folder="templates")

from webapp.estimates import views  # noqa: E402, F401
