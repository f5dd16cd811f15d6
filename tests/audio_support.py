"""Audio built from the fixtures for tests that need a transcription to take a while."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from webapp import audio

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audio"


def long_speech(path: Path, repeats: int) -> Path:
    """Real speech (the JFK clip, about 11 s) repeated ``repeats`` times, as 16 kHz mono WAV."""
    pcm = audio.decode_pcm(FIXTURES / "jfk.ogg", rate=16000)
    samples = np.tile(np.asarray(pcm, dtype=np.int16).reshape(-1), repeats)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.tobytes())
    return path
