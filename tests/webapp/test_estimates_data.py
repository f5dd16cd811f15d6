"""Training data from the app, the synthetic demo archive, and where models are kept."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from rating.features import parse_transcript
from webapp.config import REPO_MODELS_DIR, build_config
from webapp.estimates.data import get_training_set, render_transcript
from webapp.estimates.demo import load_demo_training_archive
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import FinalScore, RatingTask, Recording, Role, Segment, TaskRole, User

VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"


def seed_archive(app, make_user, make_cohort) -> float:
    make_cohort("Spring")
    make_user(Role.RATER, email="rater1@example.org")
    make_user(Role.RATER, email="rater2@example.org")
    with app.app_context():
        import_vignettes(VIGNETTES)
        started = time.perf_counter()
        load_demo_training_archive()
        db.session.commit()
        return time.perf_counter() - started


def test_demo_archive_is_text_only_labelled_and_half_double_coded(app, make_user, make_cohort):
    seconds = seed_archive(app, make_user, make_cohort)
    assert seconds < 10
    with app.app_context():
        recordings = db.session.scalars(sa.select(Recording)).all()
        assert len(recordings) == 80
        assert {r.status for r in recordings} == {"ready"}
        assert {r.source for r in recordings} == {"import"}
        assert all(r.original_name.startswith("synthetic-archive-") for r in recordings)
        assert all(r.public_code and r.latest_transcript.segments for r in recordings)
        data_dir = Path(app.config["DATA_DIR"]) / "recordings"
        assert not data_dir.exists() or not any(data_dir.iterdir())
        second = db.session.scalar(
            sa.select(sa.func.count(RatingTask.id)).where(RatingTask.role == TaskRole.SECOND)
        )
        assert second == 40
        archive_users = db.session.scalars(
            sa.select(User).where(User.email.like("archive-%@example.org"))
        ).all()
        assert len(archive_users) == 20 and not any(u.active for u in archive_users)
        assert db.session.scalar(sa.select(sa.func.count(FinalScore.id))) == 320
        assert load_demo_training_archive() == 0  # idempotent


def test_archive_recording_has_no_audio_to_play(app, make_user, make_cohort, login_as):
    seed_archive(app, make_user, make_cohort)
    browser, _ = login_as(Role.EDUCATOR)
    with app.app_context():
        recording_id = db.session.scalar(sa.select(Recording.id).limit(1))
    assert browser.get(f"/practice/recordings/{recording_id}/audio").status_code == 404
    assert browser.get(f"/practice/recordings/{recording_id}").status_code == 200


def test_training_set_uses_final_scores_and_groups_by_trainee(app, make_user, make_cohort):
    seed_archive(app, make_user, make_cohort)
    with app.app_context():
        data = get_training_set("simulated-client")
    assert len(data.records) == 80 and data.n_trainees == 20
    assert data.dimensions == ("clarity", "empathy", "warmth", "strengths")
    assert all(1 <= s <= 5 for r in data.records for s in r.scores.values())


def test_training_set_is_empty_for_an_unknown_instrument(app):
    with app.app_context():
        assert get_training_set("no-such-instrument").records == []


def test_segments_without_a_speaker_count_as_the_worker():
    segments = [
        Segment(position=0, start=0.0, end=2.0, text="How are you?", speaker=None),
        Segment(position=1, start=2.5, end=4.0, text="Fine.", speaker="client"),
        Segment(position=2, start=4.5, end=5.0, text="  ", speaker="worker"),
    ]
    text = render_transcript(segments)
    assert text == "[0.0-2.0] worker: How are you?\n[2.5-4.0] client: Fine."
    assert [t.speaker for t in parse_transcript(text)] == ["worker", "client"]


def test_models_dir_follows_data_dir_and_production(tmp_path):
    given = build_config(str(tmp_path), {}, {"SECRET_KEY": "x", "DATA_DIR": str(tmp_path / "d")})
    assert given["MODELS_DIR"] == str((tmp_path / "d" / "models").resolve())
    default = build_config(str(tmp_path), {}, {"SECRET_KEY": "x"})
    assert default["MODELS_DIR"] == str(REPO_MODELS_DIR)
    production = build_config(str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "x"}, None)
    assert production["MODELS_DIR"] == str((tmp_path / "models").resolve())
    chosen = build_config(str(tmp_path), {"MODELS_DIR": str(tmp_path / "m")}, {"SECRET_KEY": "x"})
    assert chosen["MODELS_DIR"] == str((tmp_path / "m").resolve())
    assert chosen["ESTIMATE_MIN_QWK"] == 0.4 and chosen["SHOW_ESTIMATES_TO_TRAINEES"] is False
