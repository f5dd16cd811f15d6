"""The command line: cohorts, users, vignettes and demo data."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.demo import DEMO_RECORDINGS, DEMO_USERS
from webapp.extensions import db
from webapp.models import Job, Recording, User, Vignette


def test_cohorts_create_and_list(runner):
    assert runner.invoke(args=["cohorts", "create", "Site A"]).exit_code == 0
    duplicate = runner.invoke(args=["cohorts", "create", "Site A"])
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    assert "Site A\t0 member(s)" in runner.invoke(args=["cohorts", "list"]).output


def test_users_create_reads_the_password_from_stdin(app, runner):
    runner.invoke(args=["cohorts", "create", "Site A"])
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "T@Example.test",
            "--name",
            "Tess",
            "--role",
            "trainee",
            "--role",
            "actor",
            "--cohort",
            "Site A",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "t@example.test\tTess\tactor,trainee\tSite A\tactive" in listing


def create(runner, *extra, password="a long enough secret"):
    args = [
        "users",
        "create",
        "--email",
        "x@example.test",
        "--name",
        "X",
        *extra,
        "--password-stdin",
    ]
    return runner.invoke(args=args, input=password + "\n")


def test_users_create_bad_input_is_a_clear_error(app, runner):
    cases = [
        (("--role", "wizard"), "Unknown role 'wizard'"),
        (("--role", "trainee", "--cohort", "Nowhere"), "no cohort called 'Nowhere'"),
    ]
    for extra, message in cases:
        result = create(runner, *extra)
        assert result.exit_code == 1
        assert message in result.output
    assert "at least 10 characters" in create(runner, "--role", "rater", password="short").output
    assert create(runner, "--role", "rater").exit_code == 0
    duplicate = create(runner, "--role", "rater")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_create_requires_password_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "a@b.test", "--name", "A", "--role", "rater"]
    )
    assert result.exit_code == 1
    assert "--password-stdin" in result.output


def test_vignettes_import_reports_and_fails_cleanly(app, runner, tmp_path):
    ok = runner.invoke(args=["vignettes", "import"])
    assert ok.exit_code == 0, ok.output
    assert "unchanged" in ok.output
    (tmp_path / "bad.yaml").write_text("slug: bad\n")
    bad = runner.invoke(args=["vignettes", "import", str(tmp_path)])
    assert bad.exit_code == 1
    assert "bad.yaml: title: is required but missing" in bad.output
    assert "Traceback" not in bad.output


def test_demo_load_creates_every_role_and_is_idempotent(app_factory, tmp_path):
    # Transcription jobs are only queued here (no worker), so the test stays quick.
    app = app_factory(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        emails = set(db.session.scalars(sa.select(User.email)))
        roles = {role for user in db.session.scalars(sa.select(User)) for role in user.roles}
        archive = {email for email in emails if email.startswith("archive-")}
        assert emails - archive == {user.email for user in DEMO_USERS}
        assert {str(r) for r in roles} == {"trainee", "actor", "rater", "educator", "admin"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Vignette)) >= 4
        is_archive = Recording.original_name.like("synthetic-archive-%")
        recordings = db.session.scalars(sa.select(Recording).where(~is_archive)).all()
        archived = sa.select(sa.func.count()).select_from(Recording).where(is_archive)
        assert db.session.scalar(archived) == 80
        assert len(recordings) == len(DEMO_RECORDINGS)
        assert {r.status for r in recordings} == {"processing"}
        jobs = db.session.scalars(sa.select(Job.kind)).all()
        assert jobs == ["prepare-recording"] * len(DEMO_RECORDINGS)
    from webapp.jobs import huey

    huey.immediate = True


def test_demo_load_is_refused_in_production(app_factory):
    app = app_factory(APP_ENV="production")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "never loaded in production" in result.output
