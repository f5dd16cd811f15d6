"""The ``transcribe`` and ``recordings import`` commands, with the real tiny.en model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Recording, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"


@pytest.fixture
def app(app_factory):
    application = app_factory(WHISPER_MODEL="tiny.en", WHISPER_THREADS=1)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def test_transcribe_prints_text(runner):
    result = runner.invoke(args=["transcribe", str(FIXTURES / "jfk.ogg")])
    assert result.exit_code == 0, result.output
    assert "ask not what your country can do for you" in result.output.lower()


def test_transcribe_json_has_the_documented_shape(runner):
    result = runner.invoke(args=["transcribe", "--json", str(FIXTURES / "stereo_dialogue.ogg")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"duration", "language", "model", "text", "segments"}
    assert payload["language"] == "en"
    assert Path(payload["model"], "model.bin").is_file()
    assert payload["duration"] > 1
    assert {"start", "end", "text", "speaker"} == set(payload["segments"][0])
    assert {s["speaker"] for s in payload["segments"]} <= {"worker", "client", None}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("html.webm", "not a supported audio"),
        ("silence.ogg", "silent"),
        ("missing.wav", "not a file"),
    ],
)
def test_transcribe_bad_input_exits_non_zero_with_a_message(runner, name, message):
    result = runner.invoke(args=["transcribe", str(FIXTURES / name)])
    assert result.exit_code == 1
    assert message in result.output.lower()
    assert "Traceback" not in result.output


def test_recordings_import_waits_for_the_transcript(app, runner, make_user):
    make_user(Role.TRAINEE, email="t@example.test", password=PASSWORD)
    make_user(Role.ACTOR, email="actor@example.test", password=PASSWORD)
    result = runner.invoke(
        args=[
            "recordings",
            "import",
            str(FIXTURES / "jfk.ogg"),
            "--trainee",
            "t@example.test",
            "--vignette",
            "school-referral-late-and-hungry",
            "--actor",
            "actor@example.test",
            "--wait",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "ready" in result.output
    with app.app_context():
        recording = db.session.scalar(db.select(Recording))
        assert recording.source == "import" and recording.actor_id is not None
        assert "country" in recording.latest_transcript.text.lower()


def test_recordings_import_refuses_unknown_trainee_and_vignette(app, runner, make_user):
    make_user(Role.TRAINEE, email="t@example.test")
    unknown = runner.invoke(
        args=[
            "recordings",
            "import",
            str(FIXTURES / "jfk.ogg"),
            "--trainee",
            "x@example.test",
            "--vignette",
            "school-referral-late-and-hungry",
        ]
    )
    assert unknown.exit_code == 1 and "no trainee" in unknown.output
    bad_vignette = runner.invoke(
        args=[
            "recordings",
            "import",
            str(FIXTURES / "jfk.ogg"),
            "--trainee",
            "t@example.test",
            "--vignette",
            "no-such-thing",
        ]
    )
    assert bad_vignette.exit_code == 1 and "does not exist" in bad_vignette.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Recording)) == 0
