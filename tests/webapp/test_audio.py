"""Audio validation and conversion on real files made by tests/fixtures/make_audio.py."""

from __future__ import annotations

import errno
import io
import itertools
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from webapp import audio
from webapp.audio import (
    AudioTooLarge,
    AudioTooLong,
    CorruptAudio,
    EmptyAudio,
    SilentAudio,
    StorageFull,
    UnsupportedAudio,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
CANARIES = (
    "CANARY-TITLE-7f3a",
    "CANARY-ARTIST-Jane-Doe",
    "CANARY-COMMENT-cohort-B",
    "CANARY-FILENAME-9c1e",
)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def copy_fixture(name: str, tmp_path: Path, as_name: str | None = None) -> Path:
    dst = tmp_path / (as_name or name)
    shutil.copy(FIXTURES / name, dst)
    return dst


@pytest.mark.parametrize(
    ("name", "fmt", "codec"),
    [
        ("dialogue.webm", "webm", "opus"),
        ("short.ogg", "ogg", "opus"),
        ("short.mp3", "mp3", "mp3float"),
        ("short.flac", "flac", "flac"),
        ("short.wav", "wav", "pcm_s16le"),
        ("short.m4a", "mp4", "aac"),
        ("short.aac", "aac", "aac"),
    ],
)
def test_probe_accepts_supported_formats(name: str, fmt: str, codec: str) -> None:
    info = audio.probe(FIXTURES / name, max_seconds=60)
    assert (info.format, info.codec, info.channels) == (fmt, codec, 1)
    assert 2.0 < info.duration_seconds < 12.0


def test_probe_measures_duration_of_webm_without_container_duration() -> None:
    with av.open(str(FIXTURES / "dialogue.webm")) as container:
        assert container.duration is None  # as MediaRecorder writes it
    info = audio.probe(FIXTURES / "dialogue.webm", max_seconds=60)
    assert info.duration_seconds == pytest.approx(11.6, abs=0.2)


@pytest.mark.parametrize(
    ("name", "error", "status"),
    [
        ("empty.webm", EmptyAudio, 422),
        ("truncated.webm", CorruptAudio, 422),
        ("html.webm", UnsupportedAudio, 415),
        ("video.webm", UnsupportedAudio, 415),
        ("two_streams.mka", UnsupportedAudio, 415),
        ("zero_length.wav", EmptyAudio, 422),
        ("silence.ogg", SilentAudio, 422),
        ("alaw.wav", UnsupportedAudio, 415),
    ],
)
def test_bad_input_is_rejected_and_leaves_nothing_behind(
    name: str, error: type[audio.AudioError], status: int, out_dir: Path
) -> None:
    with pytest.raises(error) as caught:
        audio.process_recording(FIXTURES / name, out_dir, max_seconds=60)
    assert caught.value.http_status == status == caught.value.status
    assert caught.value.message and "Errno" not in caught.value.message
    assert list(out_dir.iterdir()) == []


def test_video_is_refused_with_a_message_about_video() -> None:
    with pytest.raises(UnsupportedAudio, match="video, not an audio recording"):
        audio.probe(FIXTURES / "video.webm", max_seconds=60)


def test_over_duration_is_rejected_by_decoding(out_dir: Path) -> None:
    with pytest.raises(AudioTooLong) as caught:
        audio.process_recording(FIXTURES / "dialogue.webm", out_dir, max_seconds=3)
    assert caught.value.http_status == 413
    assert list(out_dir.iterdir()) == []


def test_declared_duration_over_limit_is_rejected_before_decoding() -> None:
    with pytest.raises(AudioTooLong, match="longer than allowed"):
        audio.probe(FIXTURES / "short.flac", max_seconds=0.5)


def test_sniff_rejects_text_renamed_as_audio(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp3"
    fake.write_text("just some notes about the interview\n")
    with pytest.raises(UnsupportedAudio):
        audio.sniff_format(fake)


def test_process_recording_writes_uuid_named_playback_and_recognition_files(
    tmp_path: Path, out_dir: Path
) -> None:
    src = copy_fixture("dialogue.webm", tmp_path, "Jane Doe interview.webm")
    result = audio.process_recording(src, out_dir, max_seconds=60)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        [result.playback_path.name, result.recognition_path.name]
    )
    assert "Jane" not in result.playback_path.name
    playback = audio.probe(result.playback_path, max_seconds=60)
    recognition = audio.probe(result.recognition_path, max_seconds=60)
    assert (playback.format, playback.codec, playback.channels) == ("ogg", "opus", 1)
    assert (recognition.codec, recognition.sample_rate, recognition.channels) == (
        "pcm_s16le",
        16000,
        1,
    )
    assert playback.duration_seconds == pytest.approx(result.info.duration_seconds, abs=0.05)


def write_tagged_mp3(path: Path) -> None:
    """A real speech MP3 carrying canary tags that must not survive into the playback copy."""
    pcm = audio.decode_pcm(FIXTURES / "short.wav")
    with av.open(str(path), "w", format="mp3") as out:
        out.metadata.update({"title": CANARIES[0], "artist": CANARIES[1], "comment": CANARIES[2]})
        stream = out.add_stream("libmp3lame", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, 0, Fraction(1, 16000)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_playback_copy_carries_no_canary_metadata(tmp_path: Path, out_dir: Path) -> None:
    src = tmp_path / f"{CANARIES[3]}.mp3"
    write_tagged_mp3(src)
    assert CANARIES[0].encode() in src.read_bytes()  # the canary really is in the source
    result = audio.process_recording(src, out_dir, max_seconds=60)
    for path in out_dir.iterdir():
        data = path.read_bytes()
        assert not [c for c in CANARIES if c.encode() in data], path.name
    with av.open(str(result.playback_path)) as container:
        assert not set(container.metadata) & {"title", "artist", "comment"}


def test_playback_copy_is_loudness_normalised(tmp_path: Path) -> None:
    quiet = (audio.decode_pcm(FIXTURES / "short.wav") * 0.05).astype(np.int16)
    src = tmp_path / "quiet.ogg"
    audio.encode_opus([np.repeat(quiet, 3)], src)  # 16 kHz samples written as 48 kHz: fine
    before = audio.to_segment(audio.decode_pcm(src), 16000).dBFS
    audio.make_playback_copy(src, tmp_path / "loud.ogg")
    after = audio.to_segment(audio.decode_pcm(tmp_path / "loud.ogg"), 16000)
    assert after.dBFS > before + 15
    assert after.max_dBFS <= 0


def test_decode_pcm_returns_16k_mono_int16() -> None:
    pcm = audio.decode_pcm(FIXTURES / "short.ogg")
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    assert len(pcm) / 16000 == pytest.approx(2.37, abs=0.05)


def test_decode_pcm_keeps_stereo_channels_apart() -> None:
    pcm = audio.decode_pcm(FIXTURES / "stereo_dialogue.ogg", mono=False)
    assert pcm.shape[1] == 2
    first_half, second_half = pcm[: len(pcm) // 2], pcm[len(pcm) // 2 :]
    # The worker speaks first on the left, the client later on the right.
    assert np.abs(first_half[:, 0]).mean() > 5 * np.abs(first_half[:, 1]).mean()
    assert np.abs(second_half[:, 1]).mean() > 5 * np.abs(second_half[:, 0]).mean()


def test_talk_time_finds_two_utterances() -> None:
    result = audio.talk_time(FIXTURES / "dialogue.webm")
    assert len(result.spans) == 2
    assert 0.6 < result.speech_share < 0.95


def test_cut_excerpt_writes_requested_length(tmp_path: Path) -> None:
    dst = audio.cut_excerpt(FIXTURES / "dialogue.webm", 1.0, 3.5, tmp_path / "excerpt.ogg")
    assert audio.probe(dst, max_seconds=10).duration_seconds == pytest.approx(2.5, abs=0.05)


def test_concatenated_mediarecorder_chunks_decode(tmp_path: Path) -> None:
    data = (FIXTURES / "dialogue.webm").read_bytes()
    cuts = [0, 4000, 15000, len(data)]  # arbitrary byte offsets, like timeslice blobs
    chunks = []
    for i, (start, end) in enumerate(itertools.pairwise(cuts)):
        chunks.append(tmp_path / f"chunk-{i}")
        chunks[-1].write_bytes(data[start:end])
    info = audio.concatenate_chunks(chunks, tmp_path / "joined.webm", max_seconds=60)
    assert info.duration_seconds == pytest.approx(11.6, abs=0.2)
    assert (tmp_path / "joined.webm").read_bytes() == data


def test_concatenation_that_does_not_decode_leaves_no_file(tmp_path: Path) -> None:
    first = copy_fixture("truncated.webm", tmp_path)
    with pytest.raises(CorruptAudio):
        audio.concatenate_chunks([first], tmp_path / "joined.webm", max_seconds=60)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["truncated.webm"]


def test_save_stream_copies_in_chunks(tmp_path: Path) -> None:
    payload = (FIXTURES / "dialogue.webm").read_bytes()
    saved = audio.save_stream(
        io.BytesIO(payload), tmp_path, max_bytes=len(payload), chunk_size=1000
    )
    assert saved.read_bytes() == payload and saved.parent == tmp_path


def test_save_stream_over_limit_raises_and_deletes_partial_file(tmp_path: Path) -> None:
    with pytest.raises(AudioTooLarge) as caught:
        audio.save_stream(io.BytesIO(b"x" * 5000), tmp_path, max_bytes=4096, chunk_size=1024)
    assert caught.value.http_status == 413
    assert list(tmp_path.iterdir()) == []


def test_save_stream_disk_full_raises_storage_full_and_deletes_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fill_disk_on_second_write(fh: io.RawIOBase, chunk: bytes) -> None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        fh.write(chunk)

    monkeypatch.setattr(audio, "_write_chunk", fill_disk_on_second_write)
    with pytest.raises(StorageFull) as caught:
        audio.save_stream(io.BytesIO(b"x" * 5000), tmp_path, max_bytes=10**6, chunk_size=1024)
    assert caught.value.http_status == 507
    assert list(tmp_path.iterdir()) == []
