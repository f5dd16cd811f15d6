"""Operations: health and readiness checks, request logging, backups."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from webapp.ops import health  # noqa: E402, F401  (routes and the heartbeat task)
