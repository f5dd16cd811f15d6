"""The database crashes and restarts while gunicorn serves requests and a worker
transcribes: requests during the outage get a clean 503 page, requests afterwards
succeed on the same processes, writes are all there or not at all, and the job that
was running completes (re-sent by the reconciler) with exactly one transcript.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import redis
import sqlalchemy as sa

from tests.audio_support import long_speech
from tests.conftest import PASSWORD
from tests.integration.deployment import ADMIN, Deployment, deploy, transcript_of
from tests.integration.services import (
    TEST_REDIS_URL,
    Browser,
    PostgresServer,
    free_port,
    gunicorn,
    integration,
    wait_for,
    worker,
)
from webapp.extensions import db
from webapp.jobs import reconcile
from webapp.models import AuditEvent, Job, JobStatus, Recording, RecordingStatus, User, UserRole
from webapp.orm import utcnow

pytestmark = integration

REPEATS = 3  # half a minute of speech: recognition takes a few seconds
# The outage lasts until the running job has touched the database; on a loaded machine
# the recogniser can take this long to get there.
MAX_OUTAGE_SECONDS = 150
UNAVAILABLE_TEXT = "The database is not answering just now"




class UserWriter(threading.Thread):
    """An administrator creating accounts, one after another, until told to stop.

    Each account is three kinds of row written in one transaction (user, role, audit
    event): afterwards each must be there completely or not at all.
    """

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.browser = Browser(port)
        self.browser.login(ADMIN, PASSWORD)
        self.stop = threading.Event()
        self.attempts: dict[str, int] = {}  # email -> status of its POST
        self.statuses: list[int] = []  # every response, GETs included
        self.token: str | None = None

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            try:
                self.create_one(number := number + 1)
            except OSError:  # no answer at all: the test fails on this status
                self.statuses.append(0)

    def create_one(self, number: int) -> None:
        # The form's token stays valid for the whole session: once there is one, keep
        # posting with it, so posts also arrive while the database is away.
        if self.token is None:
            status, _, html = self.browser.get("/admin/users/new")
            self.statuses.append(status)
            self.token = Browser.token_in(html) if status == 200 else None
            if self.token is None:
                time.sleep(0.2)
                return
        email = f"outage-{number}@example.test"
        form = {
            "email": email,
            "name": f"Outage {number}",
            "roles": "trainee",
            "cohort": "",
            "password": "a long enough password",
            "csrf_token": self.token,
        }
        self.attempts[email] = -1  # sent, answer unknown
        status, _, _ = self.browser.post("/admin/users/new", form)
        self.statuses.append(status)
        self.attempts[email] = status
        if status != 302:
            time.sleep(0.2)


def job_row(deployment: Deployment, job_id: int) -> Job:
    job = next(job for job in deployment.jobs() if job.id == job_id)
    return job


def assert_all_or_nothing(deployment: Deployment, attempts: dict[str, int]) -> None:
    with deployment.app.app_context():
        for email, status in attempts.items():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                assert status != 302, f"{email}: reported saved but missing"
                continue
            roles = db.session.scalars(sa.select(UserRole.role).filter_by(user_id=user.id)).all()
            events = db.session.scalars(
                sa.select(AuditEvent.id).filter_by(
                    action="user.created", object_type="User", object_id=str(user.id)
                )
            ).all()
            assert (list(roles), len(events)) == (["trainee"], 1), (email, roles, events)
        # ...and no audit event points at an account that is not there.
        created = db.session.scalars(
            sa.select(AuditEvent.object_id).filter_by(action="user.created")
        ).all()
        existing = {str(i) for i in db.session.scalars(sa.select(User.id))}
        assert set(created) <= existing


def test_database_restart_during_requests_and_jobs(tmp_path: Path) -> None:
    assert TEST_REDIS_URL is not None
    redis.Redis.from_url(TEST_REDIS_URL).flushall()
    deployment = deploy(tmp_path, "simclient_it_restart", TEST_REDIS_URL)
    env = {**deployment.env, "RATELIMIT_STORAGE_URI": TEST_REDIS_URL.rsplit("/", 1)[0] + "/1"}
    postgres = PostgresServer()
    port = free_port()
    worker_log = tmp_path / "worker.log"
    writer = None
    try:
        with gunicorn(env, port, tmp_path / "web.log"), worker(env, worker_log):
            wait_for(lambda: _answers(Browser(port), "/healthz"), 60, "gunicorn")
            admin = Browser(port)
            admin.login(ADMIN, PASSWORD)
            writer = UserWriter(port)
            recording_id = deployment.import_audio(long_speech(tmp_path / "long.wav", REPEATS))
            job_id = deployment.jobs()[-1].id
            # Decoding is done (5 %): the recogniser is running and reports progress.
            wait_for(lambda: job_row(deployment, job_id).progress >= 0.05, 120, "recognition")
            writer.start()
            time.sleep(1.0)

            postgres.crash()
            # Down until the job's next progress report has failed (and with it the
            # attempt to record the failure), requests arriving all the while.
            during = []
            outage = wait_for(
                lambda: gave_up(worker_log) or during.append(admin.get("/admin/users")),
                MAX_OUTAGE_SECONDS,
                "the running job to lose its database",
            )
            ready_during = Browser(port).get("/readyz")
            live_during = Browser(port).get("/healthz")
            postgres.start()
            restarted = time.monotonic()
            wait_for(lambda: admin.get("/admin/users")[0] == 200, 30, "pages to work again")
            recovery_seconds = time.monotonic() - restarted
            time.sleep(1.5)  # some writes after the restart, too
            writer.stop.set()
            writer.join(timeout=30)

            # During the outage: a clean 503 page, never a traceback or a 500.
            assert outage and during and all(status == 503 for status, _, _ in during), [
                s for s, _, _ in during
            ]
            _, headers, html = during[-1]
            assert UNAVAILABLE_TEXT in html and "Traceback" not in html
            assert headers.get("retry-after") == "30"
            assert ready_during[0] == 503 and '"database"' in ready_during[2]
            assert live_during[0] == 200
            assert recovery_seconds < 10
            assert set(writer.statuses) <= {200, 302, 503}, sorted(set(writer.statuses))
            posted = list(writer.attempts.values())
            assert 503 in posted and 302 in posted, posted

            # The job's row still says running: its worker could not record anything.
            # The reconciler re-sends it once its heartbeat is stale (STALE_AFTER, five
            # minutes); make the heartbeat that old instead of waiting.
            assert job_row(deployment, job_id).status == JobStatus.RUNNING
            with deployment.app.app_context():
                db.session.execute(
                    sa.update(Job)
                    .where(Job.id == job_id)
                    .values(heartbeat_at=utcnow() - timedelta(minutes=6))
                )
                db.session.commit()
                assert reconcile() == [job_id]
            wait_for(lambda: job_row(deployment, job_id).status == JobStatus.DONE, 180, "the job")

        done = job_row(deployment, job_id)
        assert done.attempts == 2, (done.attempts, done.error)
        with deployment.app.app_context():
            recording = db.session.get(Recording, recording_id)
            assert recording is not None and recording.status == RecordingStatus.READY
            running = sa.select(sa.func.count()).where(Job.status == JobStatus.RUNNING)
            assert db.session.scalar(running) == 0
        segments = transcript_of(deployment.app, recording_id)["segments"]
        assert "country" in " ".join(segment[3] for segment in segments).lower()
        assert_all_or_nothing(deployment, writer.attempts)
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join(timeout=30)
        postgres.ensure_running()
        deployment.close()


def gave_up(log: Path) -> bool:
    return "the reconciler will re-send it" in log.read_text(errors="replace")


def _answers(browser: Browser, path: str) -> bool:
    try:
        return browser.get(path)[0] == 200
    except OSError:
        return False
