"""The vignette library: browsing, reading, writing and versioning case scenarios."""

from flask import Blueprint

bp = Blueprint("library", __name__, template_folder="templates")

from webapp.library import views  # noqa: E402, F401
