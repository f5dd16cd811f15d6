"""Synthesise the demo interviews (``interviews/*.yaml``) into small Ogg/Opus files.

Needs the ``espeak-ng`` binary; encoding uses PyAV.  The worker speaks on the left
channel and the parent on the right, as with two lapel microphones, so the speaker cue
of the transcription pipeline has something real to work with.  The outputs are
committed (``audio/*.ogg``), so neither ``make run`` nor the tests need espeak-ng.

    .venv/bin/python webapp/demo_data/make_demo_audio.py
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
RATE = 16000
PAUSE = np.zeros(int(0.6 * RATE), dtype=np.int16)
VOICES = {"worker": ("en-gb", "45", "160"), "client": ("en-gb-x-rp+f3", "60", "150")}


def speak(text: str, speaker: str) -> np.ndarray:
    voice, pitch, speed = VOICES[speaker]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "line.wav"
        subprocess.run(  # noqa: S603 - fixed argument list, our own text
            ["espeak-ng", "-v", voice, "-p", pitch, "-s", speed, "-w", str(path), text],  # noqa: S607
            check=True,
        )
        with wave.open(str(path)) as handle:
            rate = handle.getframerate()
            samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    positions = np.linspace(0, len(samples) - 1, int(len(samples) * RATE / rate))
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)


def render(turns: list[dict[str, str]]) -> np.ndarray:
    """Two channels: each turn on its speaker's side, silence on the other."""
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for turn in turns:
        voice = speak(turn["text"], turn["speaker"])
        silence = np.zeros_like(voice)
        left += [voice if turn["speaker"] == "worker" else silence, PAUSE]
        right += [voice if turn["speaker"] == "client" else silence, PAUSE]
    return np.stack([np.concatenate(left), np.concatenate(right)])


def encode(pcm: np.ndarray, path: Path) -> None:
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48000, layout="stereo")
        stream.bit_rate = 24000
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
        step = RATE // 50
        for start in range(0, pcm.shape[1], step):
            block = np.ascontiguousarray(pcm[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(block, format="s16p", layout="stereo")
            frame.sample_rate = RATE
            for resampled in resampler.resample(frame):
                out.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))


def main() -> None:
    target = HERE / "audio"
    target.mkdir(exist_ok=True)
    for script in sorted((HERE / "interviews").glob("*.yaml")):
        turns = yaml.safe_load(script.read_text())["turns"]
        encode(render(turns), target / f"{script.stem}.ogg")
        print(script.stem)


if __name__ == "__main__":
    main()
