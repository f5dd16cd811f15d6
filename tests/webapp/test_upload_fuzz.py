"""Upload fuzzing: generated and mutated audio files against the validator, the upload route
and the preparation job.

Every input must end one of two ways: accepted (and then the playback copy and speech PCM
made from it decode), or refused with an ``AudioError`` whose status is 413/415/422 and whose
message is meant for a trainee.  Never a crash, a hang, a stray file or a half-made row.

Inputs: random bytes, bare or behind the magic bytes of every accepted container, and the
real fixtures (tests/fixtures/make_audio.py) truncated, bit-flipped, with byte ranges
duplicated, deleted or zeroed, and with their headers overwritten.

Example counts stay small so the suite stays fast; ``SIMCLIENT_FUZZ_SCALE=20`` multiplies
them for a longer hunt.  Under CI the examples are derandomized (the same every run).
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import timedelta
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import av
import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD, AuthActions, csrf_token
from webapp import audio
from webapp.admin.services import UserDetails, create_user
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import AuditEvent, Job, Recording, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"
SLUG = "school-referral-late-and-hungry"
MAX_SECONDS = 120.0
SCALE = int(os.environ.get("SIMCLIENT_FUZZ_SCALE", "1"))
REFUSAL_STATUSES = {413, 415, 422}

SOURCES = [
    "dialogue.webm",
    "short.ogg",
    "short.mp3",
    "short.flac",
    "short.wav",
    "short.m4a",
    "short.aac",
    "stereo_dialogue.ogg",
]
SOURCE_BYTES = {name: (FIXTURES / name).read_bytes() for name in SOURCES}
MAGIC = [
    b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00",
    b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01",  # EBML header (WebM/Matroska)
    b"fLaC\x00\x00\x00\x22",
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"\xff\xfb\x90\x64",  # MPEG-1 layer III frame sync
    b"\xff\xf1\x50\x80",  # ADTS AAC
    b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
]

# pytest-timeout's thread method also stops a loop inside PyAV's C code, which a signal
# could not interrupt; the per-example deadline reports a slow example hypothesis can shrink.
pytestmark = pytest.mark.timeout(600, method="thread")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=timedelta(seconds=20),
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


# ---------------------------------------------------------------- strategies


def random_files() -> st.SearchStrategy[bytes]:
    """Random bytes, bare or behind a real container's magic bytes."""
    bare = st.binary(max_size=8192)
    prefixed = st.tuples(st.sampled_from(MAGIC), st.binary(max_size=8192)).map(b"".join)
    return st.one_of(bare, prefixed)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    """A real recording damaged by one to three mutations."""
    data = bytearray(SOURCE_BYTES[draw(st.sampled_from(SOURCES))])
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):  # mostly one: some stay playable
        if not data:
            break
        mutation = draw(st.sampled_from(MUTATIONS))
        data = mutation(draw, data)
    return bytes(data)


def _position(draw: st.DrawFn, data: bytearray) -> int:
    return draw(st.integers(0, len(data) - 1))


def _range(draw: st.DrawFn, data: bytearray) -> tuple[int, int]:
    start = _position(draw, data)
    return start, min(len(data), start + draw(st.integers(1, 4096)))


def truncate(draw: st.DrawFn, data: bytearray) -> bytearray:
    return data[: _position(draw, data)]


def flip_bits(draw: st.DrawFn, data: bytearray) -> bytearray:
    for _ in range(draw(st.integers(1, 16))):
        data[_position(draw, data)] ^= 1 << draw(st.integers(0, 7))
    return data


def duplicate_range(draw: st.DrawFn, data: bytearray) -> bytearray:
    start, end = _range(draw, data)
    at = _position(draw, data)
    return data[:at] + data[start:end] + data[at:]


def delete_range(draw: st.DrawFn, data: bytearray) -> bytearray:
    start, end = _range(draw, data)
    return data[:start] + data[end:]


def zero_range(draw: st.DrawFn, data: bytearray) -> bytearray:
    start, end = _range(draw, data)
    data[start:end] = bytes(end - start)
    return data


def corrupt_header(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Overwrite bytes in the first 128: sizes, codec ids, sample rates, channel counts."""
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, min(len(data), 128) - 1))] = draw(st.integers(0, 255))
    return data


MUTATIONS = [truncate, flip_bits, duplicate_range, delete_range, zero_range, corrupt_header]


# ---------------------------------------------------------------- the validator


def assert_clean_refusal(error: audio.AudioError) -> None:
    assert error.http_status in REFUSAL_STATUSES, error
    assert error.message and error.message == str(error)
    assert "Traceback" not in error.message and "av." not in error.message


def validate_and_convert(data: bytes, work: Path) -> None:
    """The upload path's checks (magic bytes, then a full bounded decode), then the job's
    conversion for whatever they accept."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    original = work / "upload.bin"
    original.write_bytes(data)
    try:
        audio.sniff_format(original)
        info = audio.probe(original, max_seconds=MAX_SECONDS)
    except audio.AudioError as error:
        event(f"refused: {type(error).__name__}")  # --hypothesis-show-statistics
        assert_clean_refusal(error)
        return
    event("accepted")
    assert 0 < info.duration_seconds <= MAX_SECONDS
    assert info.codec in audio.SUPPORTED_CODECS and info.channels >= 1
    out = work / "out"
    out.mkdir()
    made = audio.process_recording(original, out, max_seconds=MAX_SECONDS)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [made.playback_path.name, made.recognition_path.name]
    )  # nothing else, e.g. no leftover .processing- folder
    for path in (made.playback_path, made.recognition_path):
        assert len(audio.decode_pcm(path)) > 0


@fuzz_settings(60)
@given(data=random_files())
def test_validator_on_random_bytes(tmp_path, data):
    validate_and_convert(data, tmp_path / "case")


@fuzz_settings(60)
@given(data=mutated_fixtures())
def test_validator_on_mutated_recordings(tmp_path, data):
    validate_and_convert(data, tmp_path / "case")


def adts_tone(path: Path, *, layout: str, rate: int, seconds: float = 1.0) -> bytes:
    """A 440 Hz tone as ADTS AAC, encoded with PyAV."""
    samples = (np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate) * 8000).astype(
        np.int16
    )
    planes = np.tile(samples, (2 if layout == "stereo" else 1, 1))
    with av.open(str(path), "w", format="adts") as out:
        stream = out.add_stream("aac", rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(planes, format="s16p", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path.read_bytes()


def test_stream_that_changes_channels_and_rate_midway_is_decoded(tmp_path):
    # Found by the fuzzer: a damaged ADTS header switched mono to stereo and PyAV's
    # resampler raised ValueError (a 500).  Joined ADTS files do the same legitimately.
    mono = adts_tone(tmp_path / "mono.aac", layout="mono", rate=16000)
    stereo = adts_tone(tmp_path / "stereo.aac", layout="stereo", rate=22050)
    joined = tmp_path / "joined.aac"
    joined.write_bytes(mono + stereo)
    info = audio.probe(joined, max_seconds=MAX_SECONDS)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.3)
    stereo_pcm = audio.decode_pcm(joined, mono=False)
    assert stereo_pcm.shape[1] == 2 and len(stereo_pcm) == pytest.approx(2 * 16000, rel=0.15)


def test_unknown_codec_in_the_container_header_is_refused_as_unsupported(tmp_path):
    # Found by the fuzzer: one flipped byte in the WebM CodecID left a stream without a
    # codec context, and reading its name raised AttributeError (a 500).
    data = SOURCE_BYTES["dialogue.webm"]
    assert data.count(b"A_OPUS") == 1
    damaged_file = tmp_path / "damaged.webm"
    damaged_file.write_bytes(data.replace(b"A_OPUS", b"A_OPWS"))
    with pytest.raises(audio.UnsupportedAudio) as caught:
        audio.probe(damaged_file, max_seconds=MAX_SECONDS)
    assert_clean_refusal(caught.value)


class EndlessContainer:
    """A demuxer that never reaches the end, as a looping one on damaged input would."""

    def __init__(self, frame: av.AudioFrame) -> None:
        self.frame = frame

    def decode(self, stream):
        return itertools.repeat(self.frame)


def test_decoder_that_never_stops_is_refused_not_spun_on(tmp_path):
    with av.open(str(FIXTURES / "short.ogg")) as container:
        frame = next(container.decode(audio=0))
    frames = audio._frames(
        EndlessContainer(frame),
        None,
        lambda: av.AudioResampler("s16", "mono", 16000),
        max_frames=50,
    )
    with pytest.raises(audio.CorruptAudio):
        for _ in itertools.islice(frames, 10_000):
            pass


# ---------------------------------------------------------------- the HTTP upload route


def app_with_vignettes(app_factory, **settings):
    application = app_factory(**settings)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def trainee_on(app, email: str = "fuzz@example.test"):
    """A logged-in trainee (conftest's ``login_as`` is bound to its own ``app``)."""
    with app.app_context():
        create_user(UserDetails(email, "Fuzz Trainee", frozenset({Role.TRAINEE})), PASSWORD)
        db.session.commit()
    browser = app.test_client()
    assert AuthActions(browser).login(email).status_code == 302
    browser.token = csrf_token(browser, "/")
    return browser


def post_upload(browser, data: bytes):
    return browser.post(
        f"/practice/vignettes/{SLUG}/upload",
        data={
            "actor_id": "",
            "actor_name": "Alex Actor",
            "csrf_token": browser.token,
            "file": (BytesIO(data), "interview.webm"),
        },
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )


def stored_files(app) -> set[Path]:
    root = Path(app.config["DATA_DIR"]) / "recordings"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def row_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        count = sa.select(sa.func.count())
        return (
            db.session.scalar(count.select_from(Recording)),
            db.session.scalar(count.select_from(Job)),
            db.session.scalar(count.select_from(AuditEvent).where(AuditEvent.action.like("rec%"))),
        )


def assert_upload_ends_cleanly(app, browser, data: bytes) -> None:
    files_before, rows_before = stored_files(app), row_counts(app)
    response = post_upload(browser, data)
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:300]
    event(f"HTTP {response.status_code}")
    if response.status_code == 202:
        assert_accepted(app, body["recording"], len(data))
        return
    assert response.status_code in REFUSAL_STATUSES, body
    assert body["message"] and "Traceback" not in response.get_data(as_text=True)
    assert stored_files(app) == files_before
    assert row_counts(app) == rows_before


def assert_accepted(app, recording_id: int, size: int) -> None:
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        assert recording.status == "processing" and recording.size_bytes == size
        assert 0 < recording.duration_seconds <= MAX_SECONDS
        job = db.session.scalar(sa.select(Job).filter_by(subject_id=recording_id))
        assert job.status == "queued"
        folder = Path(app.config["DATA_DIR"]) / "recordings" / recording.storage_key
        assert [p.name for p in folder.iterdir()] == [f"original.{recording.original_format}"]


@pytest.fixture
def upload_app(app_factory):
    # A queue with no worker: accepted uploads wait for their job, so each example costs
    # one request (the job gets its own test below).
    return app_with_vignettes(app_factory, QUEUE_IMMEDIATE=False)


@pytest.fixture
def upload_trainee(upload_app):
    return trainee_on(upload_app)


@fuzz_settings(25)
@given(data=st.one_of(random_files(), mutated_fixtures(), mutated_fixtures()))
def test_upload_route_on_fuzzed_files(upload_app, upload_trainee, data):
    # Fixtures are made once for all examples: one app, one login, many uploads.
    assert_upload_ends_cleanly(upload_app, upload_trainee, data)


# ---------------------------------------------------------------- the preparation job


def damaged(name: str, damage) -> bytes:
    data = bytearray(SOURCE_BYTES.get(name) or (FIXTURES / name).read_bytes())
    return bytes(damage(data))


def _flip_middle(data: bytearray) -> bytearray:
    for offset in range(len(data) // 2, len(data) // 2 + 400, 37):
        data[offset] ^= 0x5A
    return data


def _duplicate_middle(data: bytearray) -> bytearray:
    middle = len(data) // 2
    return data[:middle] + data[middle - 2000 : middle] + data[middle:]


# Damage that the validator accepts: what reaches the job in real life.
ACCEPTED_DAMAGE = {
    "jfk.ogg truncated to 40%": lambda: damaged("jfk.ogg", lambda d: d[: len(d) * 4 // 10]),
    "dialogue.webm with flipped bytes": lambda: damaged("dialogue.webm", _flip_middle),
    "short.mp3 truncated to 60%": lambda: damaged("short.mp3", lambda d: d[: len(d) * 6 // 10]),
    "short.wav with a duplicated range": lambda: damaged("short.wav", _duplicate_middle),
    "short.flac with flipped bytes": lambda: damaged("short.flac", _flip_middle),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ACCEPTED_DAMAGE))
def test_damaged_but_accepted_recordings_finish_their_job(app_factory, tmp_path, case):
    data = ACCEPTED_DAMAGE[case]()
    (tmp_path / "case").write_bytes(data)
    audio.probe(tmp_path / "case", max_seconds=MAX_SECONDS)  # precondition: accepted
    app = app_with_vignettes(app_factory, WHISPER_MODEL="tiny.en", WHISPER_THREADS=1)
    browser = trainee_on(app)
    response = post_upload(browser, data)  # the immediate queue runs the job in the request
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        recording = db.session.get(Recording, response.get_json()["recording"])
        job = db.session.scalar(sa.select(Job).filter_by(subject_id=recording.id))
        assert job.status == "done", job.error  # not left running, not retrying a crash
        if recording.status == "ready":
            assert recording.latest_transcript is not None
        else:
            assert recording.status == "failed" and recording.error
    status = browser.get(f"/practice/recordings/{recording.id}/status")
    assert status.status_code == 200 and status.get_json()["status"] == recording.status
