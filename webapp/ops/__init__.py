"""Operations: health and readiness checks, request logging, backups, nightly upkeep."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

# Imported for their routes and periodic tasks (the heartbeat, the nightly statistics).
from webapp.ops import health, maintenance  # noqa: E402, F401
