"""Deterministic synthetic simulated-client transcripts whose ratings depend on the text.

Used by the classifier tests, the benchmark and the app's demo.  Nothing here is real data: the
scenario (a social worker visiting a parent after a referral about a child) is filled from
small phrase pools.

How a rating arises
-------------------
Each trainee has a latent skill per dimension (a shared general skill plus a dimension-specific
part); each recording adds session-level jitter.  A worker turn that belongs to a dimension is
drawn from that dimension's *skilled* pool with probability ``sigmoid(1.5 * skill)`` and from its
*unskilled* pool otherwise.  The rating is then computed from the text that was actually written,

.. math:: r_d = \\operatorname{clip}\\big(\\operatorname{round}(1 + 4 q_d + \\varepsilon),
   1, 5\\big), \\quad q_d = \\frac{g_d + 1}{g_d + u_d + 2},
   \\quad \\varepsilon \\sim N(0, \\sigma^2)

where :math:`g_d` and :math:`u_d` count skilled and unskilled turns of dimension *d* and
:math:`\\sigma` (``rater_noise``) plays the part of rater error.  So a model that reads the worker
turns well can recover the rating up to that noise, and nothing else carries the signal.  Each
trainee also has a verbal tic (a filler phrase) so that ungrouped folds could recognise trainees:
grouped cross-validation is what keeps that from inflating scores.

Examples
--------
>>> corpus = generate_corpus(4, n_trainees=2, words_per_transcript=300, random_state=1)
>>> len(corpus.texts), sorted(corpus.ratings), corpus.groups[:2]
(4, ['clarity', 'empathy', 'strengths', 'warmth'], ['T001', 'T002'])
>>> corpus.texts == generate_corpus(4, n_trainees=2, words_per_transcript=300,
...                                 random_state=1).texts
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DIMENSIONS", "SyntheticCorpus", "generate_corpus", "generate_transcript"]

#: Default dimensions, in the order used by the classifier benchmark.
DIMENSIONS: tuple[str, ...] = ("clarity", "empathy", "warmth", "strengths")

_SLOTS: dict[str, tuple[str, ...]] = {
    "child": ("Jayden", "Amelia", "Tyler", "Chloe", "Kai", "Maisie", "Leo", "Ruby", "Ethan"),
    "place": ("school", "nursery", "the after-school club", "the GP surgery"),
    "who": ("your mum", "your sister", "a neighbour", "your friend from church", "your partner"),
    "concern": (
        "a bruise on the side of the face",
        "missing a lot of school",
        "being left at home alone in the evening",
        "arriving hungry and in the same clothes",
        "shouting and arguments heard through the wall",
    ),
    "days": ("three", "five", "eight", "eleven"),
}

# Worker turns per dimension: (skilled pool, unskilled pool).  Skilled turns carry the behaviours
# raters reward (explicit concern, reflections, warmth, strengths); unskilled ones are vague,
# blunt, closed or blaming.
_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "clarity": (
        (
            "I want to be clear with you about why I am here. {place} told us {child} has been "
            "{concern}, and my job is to understand what is happening for {child}.",
            "My worry, and I will be honest with you, is that {child} has been {concern}. "
            "That can affect how safe {child} feels.",
            "So you know exactly where we are: if {child} keeps {concern}, we may need to "
            "hold a meeting with {place} and make a plan together.",
            "The concern I have is specific. {child} has been {concern} on {days} occasions, "
            "and I need to talk that through with you today.",
            "Let me be straightforward about what happens next. I will write up what we "
            "discussed about {child} {concern} and share it with you first.",
        ),
        (
            "It is just a routine visit really, nothing to worry about, we can get to the "
            "details some other time.",
            "There were some bits and pieces mentioned, I am not sure exactly what, it is "
            "probably nothing.",
            "I do not really have the referral in front of me, so let us just have a general chat.",
            "Things like this come up all the time, it is all fairly standard, anyway.",
            "We will see how it goes, there might be some sort of follow-up at some point.",
        ),
    ),
    "empathy": (
        (
            "It sounds like you have been feeling really overwhelmed since {who} stopped "
            "helping with {child}.",
            "So what you are saying is that you feel judged every time {place} calls you.",
            "I can see this is really hard to talk about, and you are still here talking to me.",
            "You feel like nobody has asked how you are coping, is that right?",
            "It sounds like you are exhausted and worried about {child} at the same time.",
            "I hear that you are frightened this visit means {child} will be taken away.",
        ),
        (
            "That is not really relevant right now, let us stick to the facts.",
            "Everyone finds it hard, you just have to get on with it.",
            "Did you hit {child}? Yes or no.",
            "Is that true? Are you sure about that?",
            "I do not need to know about your feelings, I need to know about {child}.",
            "Do you drink? Does your partner drink?",
        ),
    ),
    "warmth": (
        (
            "Thank you for letting me into your home today, I really appreciate it.",
            "Take your time, there is no rush at all.",
            "I am glad you told me that, it helps me understand.",
            "Would you like a moment before we carry on? It is okay to take a break.",
            "I am really pleased to meet you and {child}, thank you for making the time.",
        ),
        (
            "You need to understand this is serious, so listen carefully.",
            "Why did you not just do what {place} told you to do?",
            "Frankly, that is not good enough for a parent.",
            "Let us get on with it, I have another visit after this one.",
            "I have heard that excuse many times before.",
        ),
    ),
    "strengths": (
        (
            "I noticed {child}'s drawings on the wall, it is clear how proud you are of {child}.",
            "You got {child} to {place} every day last week, even with everything going on, "
            "that is a real strength.",
            "It is clear you know {child} really well, you knew straight away what upsets {child}.",
            "You asked {who} for help when things got hard, that shows good judgement.",
            "The way you calmed {child} just now was lovely to see.",
        ),
        (
            "There is a lot going wrong here, to be honest.",
            "We need to look at everything you are not managing.",
            "The house is not really up to standard, is it.",
            "Nobody seems to be helping you, and that is a problem in itself.",
            "It does not look like the routines are working at all.",
        ),
    ),
}

_OPEN_QUESTIONS: tuple[str, ...] = (
    "How have the mornings been for you and {child} lately?",
    "What helps when {child} gets upset?",
    "Tell me about a typical evening at home.",
    "How do you think {child} has been feeling about {place}?",
    "What would you like to be different in a few months?",
    "Can you describe what happened the day {place} called?",
)
_CLOSED_QUESTIONS: tuple[str, ...] = (
    "Do you get up on time in the morning?",
    "Is {child} in bed by eight?",
    "Did you take {child} to {place} on Monday?",
    "Have you spoken to {who} this week?",
    "Are you working at the moment?",
    "Does {child} have breakfast before {place}?",
)
_NEUTRAL: tuple[str, ...] = (
    "Okay. I will make a note of that.",
    "Right, and who else lives here at the moment?",
    "I will also need the name of {child}'s GP before I go.",
    "We have about half an hour left today.",
)
_CLIENT_OPEN: tuple[str, ...] = (
    "Honestly it has been hard. Since {who} stopped coming round I have been doing everything on "
    "my own, and {child} picks up on it when I am stressed.",
    "Mornings are a battle. {child} does not want to go to {place} and I end up shouting, then I "
    "feel awful about it all day.",
    "I do try. I make sure there is food in, I read with {child} at night when I can, but some "
    "weeks I just about keep my head above water.",
    "Nobody has asked me that before. I suppose I am scared, because of what happened with my "
    "older one.",
)
_CLIENT_GUARDED: tuple[str, ...] = (
    "I do not know what you want me to say.",
    "Yeah. Fine.",
    "That is not what happened, {place} always exaggerates.",
    "I am not talking about that.",
    "No. Why would I?",
)
_TICS: tuple[str, ...] = (
    "you know",
    "right",
    "okay so",
    "I mean",
    "basically",
    "to be fair",
    "look",
    "if that makes sense",
)


@dataclass(frozen=True)
class SyntheticCorpus:
    """Synthetic transcripts with their ratings, trainee ids and latent skills.

    Attributes
    ----------
    texts : list of str
        Transcripts in the :mod:`rating.features` text format, with timestamps.
    ratings : dict of str to list of int
        Integer ratings on the 1-5 scale, per dimension, aligned with ``texts``.
    groups : list of str
        Trainee id per transcript (for grouped cross-validation).
    skills : dict of str to list of float
        The latent skill each transcript was generated from, per dimension.
    """

    texts: list[str]
    ratings: dict[str, list[int]]
    groups: list[str]
    skills: dict[str, list[float]]


def _draw_slots(rng: np.random.Generator) -> dict[str, str]:
    # One child, place and concern per interview, as in a real case.
    return {key: options[int(rng.integers(len(options)))] for key, options in _SLOTS.items()}


def _pick(pool: Sequence[str], slots: dict[str, str], rng: np.random.Generator) -> str:
    return pool[int(rng.integers(len(pool)))].format(**slots)


def _skilled_probability(skill: float) -> float:
    return float(1.0 / (1.0 + np.exp(-1.5 * skill)))


def _worker_turn(
    skills: dict[str, float],
    tic: str,
    slots: dict[str, str],
    rng: np.random.Generator,
    counts: dict[str, list[int]],
) -> tuple[str, bool]:
    """Return one worker turn and whether it was skilled (drives the client's reply)."""
    kind = rng.random()
    if kind < 0.45:
        dimension = list(skills)[int(rng.integers(len(skills)))]
        is_skilled = bool(rng.random() < _skilled_probability(skills[dimension]))
        counts[dimension][0 if is_skilled else 1] += 1
        text = _pick(_POOLS[dimension][0 if is_skilled else 1], slots, rng)
    elif kind < 0.85:
        # Empathic interviewers ask open questions; the open share is a conversation feature.
        is_skilled = bool(rng.random() < _skilled_probability(skills.get("empathy", 0.0)))
        text = _pick(_OPEN_QUESTIONS if is_skilled else _CLOSED_QUESTIONS, slots, rng)
    else:
        is_skilled = True
        text = _pick(_NEUTRAL, slots, rng)
    if rng.random() < 0.25:
        text = f"{tic.capitalize()}, {text[0].lower()}{text[1:]}"
    return text, is_skilled


def _timed_line(
    speaker: str, text: str, clock: float, rng: np.random.Generator
) -> tuple[str, float]:
    # About 2.5 words a second with some spread, then a short pause before the next turn.
    duration = len(text.split()) / rng.uniform(2.0, 3.0)
    line = f"[{clock:.1f}-{clock + duration:.1f}] {speaker}: {text}"
    return line, clock + duration + rng.uniform(0.3, 1.5)


def generate_transcript(
    skills: dict[str, float],
    *,
    words: int = 4000,
    tic: str = "you know",
    rater_noise: float = 0.6,
    random_state: int | np.random.Generator = 0,
) -> tuple[str, dict[str, int]]:
    """Generate one timed transcript and its ratings from latent skills.

    Parameters
    ----------
    skills : dict of str to float
        Latent skill per dimension (standard-normal scale; 0 is average).  Keys must be among
        :data:`DIMENSIONS`.
    words : int, default 4000
        Approximate transcript length in words (worker and client together).
    tic : str, default "you know"
        The trainee's filler phrase, sprinkled into a quarter of worker turns.
    rater_noise : float, default 0.6
        Standard deviation of the rating noise (in scale points) added before rounding.
    random_state : int or numpy.random.Generator, default 0
        Seed or generator; the same seed gives the same transcript.

    Returns
    -------
    text : str
        The transcript, one ``[start-end] speaker: text`` line per turn.
    ratings : dict of str to int
        A 1-5 rating per dimension, computed from the turns actually generated.
    """
    unknown = sorted(set(skills) - set(_POOLS))
    if unknown:
        raise ValueError(f"unknown dimensions {unknown}; expected a subset of {list(_POOLS)}")
    rng = np.random.default_rng(random_state)
    counts = {dimension: [0, 0] for dimension in skills}
    lines: list[str] = []
    slots = _draw_slots(rng)
    clock, n_words = 0.0, 0
    while n_words < words:
        worker, is_skilled = _worker_turn(skills, tic, slots, rng, counts)
        client = _pick(_CLIENT_OPEN if is_skilled else _CLIENT_GUARDED, slots, rng)
        for speaker, text in (("worker", worker), ("client", client)):
            line, clock = _timed_line(speaker, text, clock, rng)
            lines.append(line)
            n_words += len(text.split())
    ratings = {d: _rate(good, poor, rater_noise, rng) for d, (good, poor) in counts.items()}
    return "\n".join(lines), ratings


def _rate(n_skilled: int, n_unskilled: int, noise: float, rng: np.random.Generator) -> int:
    quality = (n_skilled + 1) / (n_skilled + n_unskilled + 2)
    return int(np.clip(np.floor(1.0 + 4.0 * quality + rng.normal(0.0, noise) + 0.5), 1, 5))


def _trainee_skills(
    n_trainees: int, dimensions: Sequence[str], rng: np.random.Generator
) -> np.ndarray:
    # A shared general skill makes dimensions correlate, as they do for human raters.
    general = rng.normal(size=(n_trainees, 1))
    specific = rng.normal(size=(n_trainees, len(dimensions)))
    return 0.6 * general + 0.8 * specific


def generate_corpus(
    n_transcripts: int,
    *,
    n_trainees: int | None = None,
    words_per_transcript: int = 4000,
    dimensions: Sequence[str] = DIMENSIONS,
    rater_noise: float = 0.6,
    random_state: int = 0,
) -> SyntheticCorpus:
    """Generate a deterministic corpus of synthetic transcripts, ratings and trainee ids.

    Parameters
    ----------
    n_transcripts : int
        Number of transcripts (recordings).
    n_trainees : int, optional
        Number of trainees; recordings are dealt to trainees in turn.  Defaults to one trainee
        per four recordings.
    words_per_transcript : int, default 4000
        Approximate length of each transcript in words.
    dimensions : sequence of str, default :data:`DIMENSIONS`
        Rated dimensions to generate.
    rater_noise : float, default 0.6
        Standard deviation of the rating noise in scale points.
    random_state : int, default 0
        Seed; the same arguments always give the same corpus.

    Returns
    -------
    SyntheticCorpus
    """
    if n_transcripts < 1:
        raise ValueError(f"n_transcripts must be at least 1, got {n_transcripts}")
    n_trainees = n_trainees if n_trainees is not None else max(1, n_transcripts // 4)
    if not 1 <= n_trainees <= n_transcripts:
        raise ValueError(f"n_trainees must be between 1 and {n_transcripts}, got {n_trainees}")
    rng = np.random.default_rng(random_state)
    trainee_skill = _trainee_skills(n_trainees, dimensions, rng)
    tics = [_TICS[i % len(_TICS)] for i in range(n_trainees)]
    texts, groups = [], []
    ratings: dict[str, list[int]] = {d: [] for d in dimensions}
    skills: dict[str, list[float]] = {d: [] for d in dimensions}
    for i in range(n_transcripts):
        trainee = i % n_trainees
        session = trainee_skill[trainee] + rng.normal(0.0, 0.5, size=len(dimensions))
        profile = {d: float(s) for d, s in zip(dimensions, session, strict=True)}
        text, rated = generate_transcript(
            profile,
            words=words_per_transcript,
            tic=tics[trainee],
            rater_noise=rater_noise,
            random_state=rng,
        )
        texts.append(text)
        groups.append(f"T{trainee + 1:03d}")
        for d in dimensions:
            ratings[d].append(rated[d])
            skills[d].append(profile[d])
    return SyntheticCorpus(texts=texts, ratings=ratings, groups=groups, skills=skills)
