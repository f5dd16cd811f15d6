"""Periodic privacy work: the daily retention purge."""

from __future__ import annotations

import logging

from huey import crontab

from webapp.jobs import get_app, huey
from webapp.privacy.retention import purge_expired_recordings as purge

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="17", hour="3"), name="purge_expired_recordings")
def purge_expired_recordings() -> list[int]:
    """Delete audio and transcript text of recordings past their retention date."""
    with get_app().app_context():
        purged = purge()
        if purged:
            log.info("purged %d expired recording(s)", len(purged))
        return purged
