"""Validate, decode, normalise and convert recordings (PyAV), with sample-level work in pydub.

No Flask, no database: functions take paths and return dataclasses; errors are ``AudioError``
subclasses carrying the HTTP status and a message a trainee understands.

There is no ffmpeg binary on our machines. PyAV decodes and encodes everything; pydub only ever
sees PCM we decoded ourselves (``AudioSegment(data=...)``), never ``from_file``, which would shell
out to ffprobe.

Error status policy (see ``AudioError`` subclasses):
- 415: we do not accept this kind of file (not audio, a video, an unsupported codec, several
  audio tracks); trying the same file again cannot work.
- 413: acceptable in kind but longer or bigger than allowed.
- 422: claims to be supported audio but the content is unusable (empty, damaged, silent); a new
  recording usually helps.
- 507: the server ran out of disk space; nothing is wrong with the file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import math
import os
import shutil
import tempfile
import uuid
import warnings
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Protocol

import av
import av.error
import numpy as np

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg is on PATH (we never let it call one) and imports
    # the deprecated audioop module on 3.11/3.12; neither concerns PCM-only use.
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    warnings.filterwarnings("ignore", message=".*audioop", category=DeprecationWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent

RECOGNITION_RATE = 16000
PLAYBACK_RATE = 48000  # Opus works at 48 kHz internally
PLAYBACK_BITRATE = 32000  # transparent enough for speech, ~7 MB per 30 minutes
TARGET_DBFS = -20.0  # loudness of the playback copy (RMS over the whole recording)
PEAK_CEILING_DBFS = -1.0  # never let the gain push peaks into clipping
MAX_GAIN_DB = 30.0  # do not turn a near-silent hiss into a roar
SILENCE_PEAK_DBFS = -50.0  # a whole recording whose loudest sample is below this is "silent"
BLOCK_SECONDS = 1.0  # decoded PCM is handed on in blocks of about this length
MAX_FRAMES_PER_BYTE = 4  # generous: real files have one frame per tens to thousands of bytes
SUPPORTED_CODECS = frozenset(
    {"opus", "vorbis", "mp3", "mp3float", "aac", "flac", "alac"}
    | {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8"}
)
# Container name PyAV reports for each sniffed format; a mismatch means the magic bytes lied.
CONTAINER_FOR_FORMAT = {
    "webm": "matroska",
    "ogg": "ogg",
    "wav": "wav",
    "mp3": "mp3",
    "mp4": "mp4",
    "flac": "flac",
    "aac": "aac",
}


# ---------------------------------------------------------------- errors


class AudioError(Exception):
    """Base of all audio errors; ``str(error)`` is the trainee-facing message."""

    http_status = 422
    default_message = "This recording could not be used. Please try again."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        self.message = message or self.default_message
        self.detail = detail  # technical context for logs, never shown to the trainee
        super().__init__(self.message)

    @property
    def status(self) -> int:
        """Alias matching ``webapp.errors.DomainError.status``."""
        return self.http_status


class UnsupportedAudio(AudioError):
    http_status = 415
    default_message = (
        "This file is not a supported audio recording. Please upload WebM, Ogg, MP3, M4A, AAC, "
        "FLAC or WAV audio."
    )


class AudioTooLong(AudioError):
    http_status = 413
    default_message = "This recording is longer than allowed. Please upload a shorter recording."


class AudioTooLarge(AudioError):
    http_status = 413
    default_message = "This file is larger than allowed. Please upload a smaller file."


class EmptyAudio(AudioError):
    default_message = "This file contains no audio. Please check the recording and try again."


class SilentAudio(AudioError):
    default_message = (
        "This recording is silent. Please check that your microphone is switched on and not "
        "muted, then record again."
    )


class CorruptAudio(AudioError):
    default_message = "This recording is damaged and cannot be played. Please record it again."


class StorageFull(AudioError):
    http_status = 507
    default_message = (
        "The server has run out of storage space, so your recording was not saved. "
        "Please tell your course administrator and try again later."
    )


VIDEO_MESSAGE = "This file is a video, not an audio recording. Please upload the audio only."
TWO_TRACKS_MESSAGE = "This file has more than one audio track. Please upload a single track."


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class AudioInfo:
    format: str
    codec: str
    sample_rate: int
    channels: int
    duration_seconds: float


@dataclass(frozen=True)
class TalkTime:
    duration_seconds: float
    speech_seconds: float
    spans: list[tuple[float, float]]  # (start, end) seconds of detected speech

    @property
    def speech_share(self) -> float:
        return self.speech_seconds / self.duration_seconds if self.duration_seconds else 0.0


@dataclass(frozen=True)
class ProcessedRecording:
    info: AudioInfo
    playback_path: Path  # mono Ogg/Opus, loudness-normalised, no metadata
    recognition_path: Path  # 16 kHz mono 16-bit WAV for the transcriber


# ---------------------------------------------------------------- sniffing and probing


def sniff_format(path: Path | str) -> str:
    """Name the container from its magic bytes, or raise before any decoder sees the file."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head:
        raise EmptyAudio(detail="zero-byte file")
    name = _format_from_magic(head)
    if name is None:
        raise UnsupportedAudio(detail=f"unknown magic {head[:12]!r}")
    return name


def _format_from_magic(head: bytes) -> str | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"  # EBML: WebM or Matroska, told apart by PyAV later if needed
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "aac"  # ADTS: sync word plus layer bits 00
        if head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 0x3:
            return "mp3"  # MPEG audio frame sync with a valid layer
    return None


def probe(path: Path | str, *, max_seconds: float) -> AudioInfo:
    """Validate a recording by decoding it all (bounded by ``max_seconds``) and describe it."""
    fmt = sniff_format(path)
    with _open_audio(path, fmt) as (container, stream):
        _reject_long_declared_duration(container, max_seconds)
        codec_ctx = stream.codec_context
        info = (fmt, codec_ctx.name, codec_ctx.sample_rate, codec_ctx.channels)
    samples, peak = 0, 0
    for block in iter_pcm(path, rate=RECOGNITION_RATE, max_seconds=max_seconds):
        samples += len(block)
        peak = max(peak, to_segment(block, RECOGNITION_RATE).max)
    if samples == 0:
        raise EmptyAudio(detail="no samples decoded")
    if _dbfs(peak) < SILENCE_PEAK_DBFS:
        raise SilentAudio(detail=f"peak {_dbfs(peak):.1f} dBFS")
    return AudioInfo(*info, duration_seconds=samples / RECOGNITION_RATE)


def channel_count(path: Path | str) -> int:
    """Channels of the single audio stream, from the header (cheap: nothing is decoded)."""
    with _open_audio(path) as (_, stream):
        return int(stream.codec_context.channels)


def _reject_long_declared_duration(container: av.container.InputContainer, limit: float) -> None:
    # A declared duration is only a hint (MediaRecorder files have none), but a file that says
    # it is far too long can be refused before spending CPU on decoding it.
    if container.duration is not None and container.duration / av.time_base > limit + 1:
        raise AudioTooLong(detail=f"declared {container.duration / av.time_base:.0f} s")


@contextlib.contextmanager
def _open_audio(
    path: Path | str, fmt: str | None = None
) -> Iterator[tuple[av.container.InputContainer, av.AudioStream]]:
    """Open ``path`` and return its single audio stream, applying the acceptance rules."""
    with _decoder_errors():
        container = av.open(str(path), metadata_errors="ignore")
    try:
        yield container, _single_audio_stream(container, fmt)
    finally:
        container.close()


def _single_audio_stream(container: av.container.InputContainer, fmt: str | None) -> av.AudioStream:
    if fmt is not None and CONTAINER_FOR_FORMAT[fmt] not in container.format.name:
        raise UnsupportedAudio(detail=f"sniffed {fmt}, container {container.format.name}")
    # Cover art in MP3/M4A files shows up as an attached-picture video stream: harmless.
    videos = [s for s in container.streams.video if not _is_cover_art(s)]
    if videos:
        raise UnsupportedAudio(VIDEO_MESSAGE, detail=f"{len(videos)} video stream(s)")
    audios = list(container.streams.audio)
    if not audios:
        raise EmptyAudio(detail="no audio stream")
    if len(audios) > 1:
        raise UnsupportedAudio(TWO_TRACKS_MESSAGE, detail=f"{len(audios)} audio streams")
    # No codec context: the container names a codec this build cannot decode (or a
    # damaged header names none at all).
    codec = audios[0].codec_context
    if codec is None or codec.name not in SUPPORTED_CODECS:
        raise UnsupportedAudio(detail=f"codec {codec.name if codec else None}")
    return audios[0]


def _is_cover_art(stream: av.stream.Stream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


@contextlib.contextmanager
def _decoder_errors() -> Iterator[None]:
    """Turn the decoder's exceptions into CorruptAudio, keeping the cause for the logs."""
    try:
        yield
    except (av.error.FFmpegError, EOFError) as exc:
        raise CorruptAudio(detail=f"{type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------- decoding


def iter_pcm(
    path: Path | str,
    *,
    rate: int = RECOGNITION_RATE,
    mono: bool = True,
    max_seconds: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield int16 PCM blocks (~1 s): 1-D if ``mono``, else (samples, 2) stereo.

    Memory stays bounded by one block whatever the input size; past ``max_seconds`` of
    decoded audio it raises AudioTooLong instead of decoding further.
    """
    limit = math.inf if max_seconds is None else max_seconds * rate
    channels = 1 if mono else 2
    layout = "mono" if mono else "stereo"
    pending: list[np.ndarray] = []
    total = pending_samples = 0
    with _open_audio(path) as (container, stream), _decoder_errors():
        resampler = functools.partial(av.AudioResampler, "s16", layout, rate)
        for frame in _frames(container, stream, resampler, max_frames=_frame_budget(path)):
            block = frame.to_ndarray().reshape(-1, channels)
            total += len(block)
            if total > limit:
                raise AudioTooLong(detail=f"more than {max_seconds} s decoded")
            pending.append(block)
            pending_samples += len(block)
            if pending_samples >= BLOCK_SECONDS * rate:
                yield _join(pending, mono)
                pending, pending_samples = [], 0
    if pending:
        yield _join(pending, mono)


def _frame_budget(path: Path | str) -> int:
    # Every decoded frame comes from at least one packet of at least one byte of the file.
    return MAX_FRAMES_PER_BYTE * os.path.getsize(path) + 1024


def _frames(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    new_resampler: Callable[[], av.AudioResampler],
    *,
    max_frames: int,
) -> Iterator[av.AudioFrame]:
    """Decoded frames, resampled; a new resampler whenever the input's shape changes.

    A stream may legally change channels or rate part-way (chained Ogg, ADTS AAC), and a
    resampler only takes frames shaped like its first one.  More frames than the file has
    room for means a demuxer going round in circles on damaged input (frames without
    samples never reach the duration limit): refuse the file rather than spin.
    """
    resampler, shape = None, None
    for count, frame in enumerate(container.decode(stream), start=1):
        if count > max_frames:
            raise CorruptAudio(detail=f"decoder still producing frames after {max_frames}")
        frame_shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if resampler is None or frame_shape != shape:
            if resampler is not None:
                yield from resampler.resample(None)
            resampler, shape = new_resampler(), frame_shape
        yield from resampler.resample(frame)
    if resampler is not None:
        yield from resampler.resample(None)  # flush the resampler's delay line


def _join(blocks: list[np.ndarray], mono: bool) -> np.ndarray:
    joined = np.concatenate(blocks)
    return joined.reshape(-1) if mono else joined


def decode_pcm(
    path: Path | str,
    *,
    rate: int = RECOGNITION_RATE,
    mono: bool = True,
    max_seconds: float | None = None,
) -> np.ndarray:
    """Decode a whole file to int16 PCM (1-D mono or (samples, 2) stereo)."""
    blocks = list(iter_pcm(path, rate=rate, mono=mono, max_seconds=max_seconds))
    if not blocks:
        return np.zeros((0,) if mono else (0, 2), dtype=np.int16)
    return np.concatenate(blocks)


def to_segment(pcm: np.ndarray, rate: int) -> AudioSegment:
    """Wrap decoded int16 PCM in a pydub AudioSegment without touching ffmpeg."""
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    return AudioSegment(
        np.ascontiguousarray(pcm).tobytes(), sample_width=2, frame_rate=rate, channels=channels
    )


def _dbfs(amplitude: float) -> float:
    return 20 * math.log10(amplitude / 32768) if amplitude > 0 else -math.inf


# ---------------------------------------------------------------- writing outputs


@contextlib.contextmanager
def _atomic_output(dst: Path | str) -> Iterator[Path]:
    """Yield a temp path beside ``dst``; move it into place only if the block succeeds."""
    dst = Path(dst)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.part")
    try:
        with _disk_full_errors():
            yield tmp
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _disk_full_errors() -> Iterator[None]:
    """Turn "no space left" (from Python or from PyAV's muxer) into StorageFull."""
    try:
        yield
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise StorageFull(detail=str(exc)) from exc
        raise
    except av.error.FFmpegError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise StorageFull(detail=str(exc)) from exc
        raise


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def write_file_atomically(target: Path | str, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temp file and a rename: all of it or nothing.

    Raises StorageFull when the disk fills; the temp file is removed on any failure.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _atomic_output(target) as tmp, open(tmp, "wb", buffering=0) as fh:
        _write_chunk(fh, data)
        os.fsync(fh.fileno())


def make_recognition_pcm(
    src: Path | str, dst: Path | str, *, max_seconds: float | None = None
) -> Path:
    """Write 16 kHz mono 16-bit PCM WAV, the input the transcriber wants."""
    with _atomic_output(dst) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RECOGNITION_RATE)
        for block in iter_pcm(src, rate=RECOGNITION_RATE, max_seconds=max_seconds):
            out.writeframes(block.tobytes())
    return Path(dst)


def make_playback_copy(
    src: Path | str, dst: Path | str, *, max_seconds: float | None = None
) -> Path:
    """Write a mono Ogg/Opus copy at a steady loudness, carrying none of the source metadata.

    Two streaming passes keep memory flat for a 30-minute file: the first measures RMS and
    peak, the second applies one gain (pydub) and encodes.
    """
    gain = _normalising_gain(iter_pcm(src, rate=PLAYBACK_RATE, max_seconds=max_seconds))
    blocks = (
        _apply_gain(block, gain)
        for block in iter_pcm(src, rate=PLAYBACK_RATE, max_seconds=max_seconds)
    )
    with _atomic_output(dst) as tmp:
        encode_opus(blocks, tmp)
    return Path(dst)


def _normalising_gain(blocks: Iterable[np.ndarray]) -> float:
    """Gain in dB that brings the RMS to TARGET_DBFS without clipping or boosting hiss."""
    squares, count, peak = 0.0, 0, 0
    for block in blocks:
        segment = to_segment(block, PLAYBACK_RATE)
        squares += float(segment.rms) ** 2 * len(block)
        count += len(block)
        peak = max(peak, segment.max)
    if count == 0 or peak == 0:
        return 0.0
    rms_db = _dbfs(math.sqrt(squares / count))
    return min(TARGET_DBFS - rms_db, PEAK_CEILING_DBFS - _dbfs(peak), MAX_GAIN_DB)


def _apply_gain(block: np.ndarray, gain_db: float) -> np.ndarray:
    segment = to_segment(block, PLAYBACK_RATE).apply_gain(gain_db)
    return np.frombuffer(segment.raw_data, dtype=np.int16)


def encode_opus(
    blocks: Iterable[np.ndarray], dst: Path | str, *, rate: int = PLAYBACK_RATE
) -> None:
    """Encode int16 mono blocks as Ogg/Opus. A fresh container: no tags are copied in."""
    with av.open(str(dst), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=rate, layout="mono")
        stream.bit_rate = PLAYBACK_BITRATE
        pts = 0
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
            pts += len(block)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def cut_excerpt(src: Path | str, start: float, end: float, dst: Path | str) -> Path:
    """Write seconds ``start``..``end`` of ``src`` as a normalised mono Ogg/Opus excerpt.

    Positions count decoded samples from the first one, the same clock as ``probe`` and the
    transcript; container timestamps are not trusted (MediaRecorder's may not start at zero).
    """
    if not 0 <= start < end:
        raise ValueError(f"need 0 <= start < end, got {start}..{end}")
    first, last = int(start * PLAYBACK_RATE), int(end * PLAYBACK_RATE)
    excerpt = _slice_samples(iter_pcm(src, rate=PLAYBACK_RATE), first, last)
    if len(excerpt) == 0:
        raise EmptyAudio(detail=f"nothing between {start} s and {end} s")
    gain = _normalising_gain([excerpt])
    with _atomic_output(dst) as tmp:
        encode_opus([_apply_gain(excerpt, gain)], tmp)
    return Path(dst)


def _slice_samples(blocks: Iterable[np.ndarray], first: int, last: int) -> np.ndarray:
    kept: list[np.ndarray] = []
    offset = 0
    for block in blocks:
        lo, hi = max(first - offset, 0), min(last - offset, len(block))
        if lo < hi:
            kept.append(block[lo:hi])
        offset += len(block)
        if offset >= last:
            break
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int16)


# ---------------------------------------------------------------- speech and talk time


def detect_speech(
    pcm: np.ndarray,
    rate: int = RECOGNITION_RATE,
    *,
    min_silence_ms: int = 700,
    threshold_db: float = 16.0,
    seek_ms: int = 20,
) -> list[tuple[float, float]]:
    """Speech spans in seconds: stretches louder than the recording's RMS minus ``threshold_db``.

    A threshold relative to the whole recording adapts to quiet microphones; pauses shorter
    than ``min_silence_ms`` stay inside a span, as a listener would hear them.
    """
    segment = to_segment(pcm, rate)
    if len(segment) == 0 or segment.rms == 0:
        return []
    spans = detect_nonsilent(
        segment,
        min_silence_len=min_silence_ms,
        silence_thresh=segment.dBFS - threshold_db,
        seek_step=seek_ms,
    )
    return [(start / 1000, end / 1000) for start, end in spans]


def talk_time(
    path: Path | str, *, max_seconds: float | None = None, min_silence_ms: int = 700
) -> TalkTime:
    """Total duration and how much of it is speech, from a decoded 16 kHz mono copy."""
    pcm = decode_pcm(path, rate=RECOGNITION_RATE, max_seconds=max_seconds)
    spans = detect_speech(pcm, RECOGNITION_RATE, min_silence_ms=min_silence_ms)
    return TalkTime(
        duration_seconds=len(pcm) / RECOGNITION_RATE,
        speech_seconds=sum(end - start for start, end in spans),
        spans=spans,
    )


# ---------------------------------------------------------------- pipeline and uploads


def process_recording(
    original_path: Path | str, out_dir: Path | str, *, max_seconds: float
) -> ProcessedRecording:
    """Validate a recording and write its playback copy and recognition PCM, all or nothing.

    Output names are server-generated (uuid); nothing of the uploaded name is reused.
    """
    out_dir = Path(out_dir)
    info = probe(original_path, max_seconds=max_seconds)
    stem = uuid.uuid4().hex
    final = [out_dir / f"{stem}.ogg", out_dir / f"{stem}.wav"]
    work = Path(tempfile.mkdtemp(prefix=".processing-", dir=out_dir))
    try:
        make_playback_copy(original_path, work / final[0].name, max_seconds=max_seconds)
        make_recognition_pcm(original_path, work / final[1].name, max_seconds=max_seconds)
        _move_all([work / p.name for p in final], final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ProcessedRecording(info=info, playback_path=final[0], recognition_path=final[1])


def _move_all(sources: list[Path], targets: list[Path]) -> None:
    moved: list[Path] = []
    try:
        for src, dst in zip(sources, targets, strict=True):
            os.replace(src, dst)
            moved.append(dst)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        raise


class ReadableStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def save_stream(
    stream: ReadableStream | BinaryIO,
    dst_dir: Path | str,
    *,
    max_bytes: int,
    chunk_size: int = 1024 * 1024,
) -> Path:
    """Copy an upload stream to a new temp file under ``dst_dir`` in bounded memory.

    Raises AudioTooLarge past ``max_bytes`` and StorageFull when the disk fills; in both
    cases, and on any other error, the partial file is deleted.
    """
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=dst_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb", buffering=0) as fh, _disk_full_errors():
            _copy_bounded(stream, fh, max_bytes=max_bytes, chunk_size=chunk_size)
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _copy_bounded(
    stream: ReadableStream | BinaryIO, fh: BinaryIO, *, max_bytes: int, chunk_size: int
) -> None:
    written = 0
    while chunk := stream.read(chunk_size):
        written += len(chunk)
        if written > max_bytes:
            raise AudioTooLarge(detail=f"more than {max_bytes} bytes")
        _write_chunk(fh, chunk)
    if written == 0:
        raise EmptyAudio(detail="empty upload")


def _write_chunk(fh: BinaryIO, chunk: bytes) -> None:
    """The one place our own code writes file bytes (PyAV's encoders write on their own)."""
    view = memoryview(chunk)
    while view:  # unbuffered writes may be partial
        view = view[fh.write(view) or 0 :]


def concatenate_chunks(
    chunk_paths: Iterable[Path | str], dst: Path | str, *, max_seconds: float
) -> AudioInfo:
    """Join MediaRecorder chunks (header in the first, bare clusters after) into one webm.

    The joined file must decode; otherwise it is removed and the probe's error raised.
    """
    paths = [Path(p) for p in chunk_paths]
    if not paths:
        raise EmptyAudio(detail="no chunks")
    if sniff_format(paths[0]) != "webm":
        raise UnsupportedAudio(detail="first chunk is not WebM")
    with _atomic_output(dst) as tmp:
        with open(tmp, "wb", buffering=0) as out:
            for path in paths:
                _write_chunk(out, Path(path).read_bytes())  # chunks are small (MAX_CHUNK_BYTES)
        info = probe(tmp, max_seconds=max_seconds)
    return info
