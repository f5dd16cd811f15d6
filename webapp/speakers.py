"""Label transcript segments as the social worker or the client, or None where unsure.

There is no diarization model in our offline stack, so two cheap acoustic cues are used:

1. **Channels** (best): a stereo recording whose channels carry different people (a two-microphone
   recorder or a call recorded per side). Each segment goes to the channel that is at least
   ``CHANNEL_MARGIN_DB`` louder over its time span. Dual-mono files (both channels the same)
   fall through to the next cue.
2. **Voice pitch + turn order** (mono, the usual browser recording): the fundamental frequency of
   voiced 20 ms frames is estimated by autocorrelation; if the frames form two pitch groups at
   least ``MIN_SEPARATION_SEMITONES`` apart (e.g. a low and a high voice), each segment whose
   frames agree at ``MIN_AGREEMENT`` with one group takes that group.

Roles: whichever side speaks first is taken to be the worker, who opens the visit.

Limits (why None is common and expected): two voices of similar pitch, segments that contain
both speakers (quick exchanges), overlapping speech, whispering or very short segments, and
sessions where the client speaks first. Raters must treat the labels as hints only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from webapp import audio

WORKER, CLIENT = "worker", "client"
RATE = 8000  # pitch of speech (70-400 Hz) and channel energy need no more
FRAME, HOP = 320, 160  # 40 ms frames every 20 ms at 8 kHz
MIN_F0, MAX_F0 = 70.0, 400.0
VOICING_THRESHOLD = 0.5  # normalised autocorrelation peak above which a frame counts as voiced
CHANNEL_MARGIN_DB = 6.0
DUAL_MONO_DB = 1.0  # channels within this of each other everywhere are one signal twice
MIN_SEPARATION_SEMITONES = 4.0
MIN_AGREEMENT = 0.75
MIN_VOICED_FRAMES = 5

Span = tuple[float, float]


def speaker_labels(spans: list[Span], recording: Path | str) -> list[str | None]:
    """One label (WORKER, CLIENT or None) per (start, end) span in seconds of ``recording``."""
    if not spans:
        return []
    if audio.channel_count(recording) < 2:
        return _labels_by_pitch(spans, audio.decode_pcm(recording, rate=RATE))
    # int16 at 8 kHz keeps a 30-minute stereo file under 60 MB; floats only per span.
    stereo = audio.decode_pcm(recording, rate=RATE, mono=False)
    by_channel = _labels_by_channel(spans, stereo)
    if by_channel is not None:
        return by_channel
    return _labels_by_pitch(spans, stereo.mean(axis=1, dtype=np.float32))


# ---------------------------------------------------------------- channels


def _labels_by_channel(spans: list[Span], stereo: np.ndarray) -> list[str | None] | None:
    ratios = [_channel_ratio_db(stereo[_index(span)]) for span in spans]
    if all(abs(r) < DUAL_MONO_DB for r in ratios if not np.isnan(r)):
        return None  # a mono source upmixed to stereo: no channel cue
    sides = [None if np.isnan(r) or abs(r) < CHANNEL_MARGIN_DB else int(r < 0) for r in ratios]
    return _roles(sides)


def _channel_ratio_db(block: np.ndarray) -> float:
    """Left-over-right energy in dB for one span (nan when the span is empty or silent)."""
    if len(block) == 0:
        return float("nan")
    energy = np.sqrt(np.mean(block.astype(np.float64) ** 2, axis=0)) + 1e-9
    if energy.max() < 1.0:
        return float("nan")
    return float(20 * np.log10(energy[0] / energy[1]))


def _index(span: Span) -> slice:
    return slice(int(span[0] * RATE), int(span[1] * RATE))


# ---------------------------------------------------------------- pitch


def _labels_by_pitch(spans: list[Span], mono: np.ndarray) -> list[str | None]:
    pitches = [frame_pitches(mono[_index(span)].astype(np.float32)) for span in spans]
    voiced = np.concatenate([np.log2(p) * 12 for p in pitches if len(p)] or [np.zeros(0)])
    centres = _two_groups(voiced)
    if centres is None:
        return [None] * len(spans)
    sides = [_majority_group(np.log2(p) * 12, centres) for p in pitches]
    return _roles(sides)


def frame_pitches(pcm: np.ndarray) -> np.ndarray:
    """F0 in Hz of each voiced frame of 8 kHz PCM (autocorrelation method)."""
    if len(pcm) < FRAME:
        return np.zeros(0)
    count = 1 + (len(pcm) - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(pcm, FRAME)[::HOP][:count]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(FRAME)
    spectrum = np.fft.rfft(frames, n=2 * FRAME)
    corr = np.fft.irfft(np.abs(spectrum) ** 2)[:, :FRAME]
    lo, hi = int(RATE / MAX_F0), int(RATE / MIN_F0)
    lags = lo + np.argmax(corr[:, lo:hi], axis=1)
    strength = corr[np.arange(count), lags] / (corr[:, 0] + 1e-9)
    loud = corr[:, 0] > 1e-3 * corr[:, 0].max()  # ignore frames 30 dB below the loudest
    return np.asarray(RATE / lags[(strength > VOICING_THRESHOLD) & loud], dtype=np.float64)


def _two_groups(semitones: np.ndarray) -> tuple[float, float] | None:
    """Centres of two pitch groups (1-D 2-means), or None unless clearly two voices."""
    if len(semitones) < 4 * MIN_VOICED_FRAMES:
        return None
    low, high = np.percentile(semitones, [25, 75])
    for _ in range(20):
        nearer_low = np.abs(semitones - low) <= np.abs(semitones - high)
        if nearer_low.all() or not nearer_low.any():
            return None
        low, high = semitones[nearer_low].mean(), semitones[~nearer_low].mean()
    share = nearer_low.mean()
    if high - low < MIN_SEPARATION_SEMITONES or not 0.1 <= share <= 0.9:
        return None
    return float(low), float(high)


def _majority_group(semitones: np.ndarray, centres: tuple[float, float]) -> int | None:
    if len(semitones) < MIN_VOICED_FRAMES:
        return None
    high_share = float(np.mean(np.abs(semitones - centres[1]) < np.abs(semitones - centres[0])))
    if high_share >= MIN_AGREEMENT:
        return 1
    if high_share <= 1 - MIN_AGREEMENT:
        return 0
    return None


# ---------------------------------------------------------------- roles


def _roles(sides: list[int | None]) -> list[str | None]:
    """Map side ids (channel or pitch group) to roles: the first side heard is the worker."""
    first = next((side for side in sides if side is not None), None)
    if first is None or len({s for s in sides if s is not None}) < 2:
        return [None] * len(sides)  # one voice only: we cannot tell who it is
    return [None if side is None else WORKER if side == first else CLIENT for side in sides]
