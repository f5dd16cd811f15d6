"""The real bundled tiny.en model on a real human reading (LibriVox, public domain).

Sonnet II is 53 s, so it is decoded as two Whisper windows: the test also guards against losing
text at window ends (the batched pipeline with timestamp tokens dropped two of its fourteen
lines, 29 errors in 117 words). With our pipeline tiny.en makes 8 errors (6.8 %): mishearings
of archaic words ("beseech" for "besiege", "feel" for "feel'st"), not missing lines. The 15 %
bound leaves room for a few more mishearings on another CPU or library version, and fails as soon
as a verse line is lost (each line is 8 or 9 words: 7 %).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.wer import normalise, word_errors
from webapp import transcription

CLIP = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "shakespeare-sonnet-002.mp3"
MAX_WER = 0.15


@pytest.mark.slow
def test_tiny_en_transcribes_a_librivox_reading_without_losing_lines(tmp_path: Path) -> None:
    result = transcription.transcribe(CLIP, model_name="tiny.en", data_dir=tmp_path, threads=2)
    reference = normalise(CLIP.with_suffix(".txt").read_text(encoding="utf-8"))
    hypothesis = normalise(result.text)
    assert word_errors(reference, hypothesis) / len(reference) < MAX_WER
    # A line that the batched decoder with timestamp tokens dropped at the end of a window.
    assert "new made when thou art old" in " ".join(hypothesis)
    assert result.duration == pytest.approx(52.9, abs=0.1)
    assert all(s.start < s.end for s in result.segments)
    assert [s.start for s in result.segments] == sorted(s.start for s in result.segments)
