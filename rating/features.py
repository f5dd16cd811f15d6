"""Transcript format and transparent conversation features for the rating classifier.

Transcript text format
----------------------
A transcript is one plain string with one turn per line::

    [12.5-18.0] worker: Thank you for seeing me today. How have things been?
    [18.4-25.1] client: Not great, to be honest.
    worker: It sounds like it has been a hard few weeks.

- ``[start-end]`` is optional; times are seconds from the start of the recording.
- The speaker prefix is ``worker:`` or ``client:`` (case-insensitive).  A line without a prefix
  counts as the worker's, because the worker is the person being assessed and an unlabelled
  transcript is most often a worker-only one.
- Blank lines are ignored.

Conversation features
---------------------
All are computed from the worker's turns, in the spirit of ReadMI's and Lyssn's counts (talk time,
open/closed questions, reflections):

``worker_talk_share``
    Worker speaking time / all speaking time, from timestamps when every turn has them, else
    worker words / all words.
``questions_per_minute``
    Worker questions per minute of worker speech.  Without timestamps the minutes are estimated
    at 150 words a minute, i.e. 1.5 x questions per 100 worker words, so that timed and untimed
    transcripts share a unit.
``open_question_share``
    Open questions / all worker questions (0 when there are none).  Open: starts with what, how,
    why, in what way, tell me, describe, explain, walk me through…; imperative prompts such as
    "Tell me about…" count as open questions even without a question mark.
``reflection_share``
    Share of worker turns with a reflective cue ("it sounds like", "you feel", "so what you're
    saying", "I can see", "I hear that"…).
``reflections_per_question``
    Reflections / questions (MITI's reflection-to-question ratio), capped at 5.
``mean_worker_turn_words``
    Mean words per worker turn (long monologues are a classic trainee habit).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer

__all__ = [
    "FEATURE_NAMES",
    "CharNgramCounts",
    "ConversationFeatures",
    "ParseTranscripts",
    "Turn",
    "WorkerText",
    "conversation_features",
    "format_transcript",
    "parse_transcript",
]

Speaker = Literal["worker", "client"]

FEATURE_NAMES: tuple[str, ...] = (
    "worker_talk_share",
    "questions_per_minute",
    "open_question_share",
    "reflection_share",
    "reflections_per_question",
    "mean_worker_turn_words",
)

_LINE = re.compile(
    r"^\s*(?:\[\s*(?P<start>\d+(?:\.\d*)?)\s*-\s*(?P<end>\d+(?:\.\d*)?)\s*\]\s*)?"
    r"(?:(?P<speaker>worker|client)\s*:\s*)?(?P<text>.*?)\s*$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
# A sentence opening like this is a question, not a reflection ("How do you feel...?").
_QUESTION_OPENER = re.compile(
    r"^\W*(?:what|how|why|where|when|who|which|do|does|did|is|are|was|were|have|has|can|"
    r"could|will|would|should)\b",
    re.IGNORECASE,
)
_OPEN_OPENERS = re.compile(
    r"^(?:\W*(?:so|and|okay|ok|right|well|now),?\s+)*"
    r"(?:what|how|why|where|when|who|which|in what way|tell me|describe|explain|"
    r"walk me through|talk me through|help me understand|could you tell|can you tell|"
    r"could you describe|can you describe|would you tell)\b",
    re.IGNORECASE,
)
_OPEN_PROMPT = re.compile(
    r"^\W*(?:tell me|describe|explain|walk me through|talk me through|help me understand)\b",
    re.IGNORECASE,
)
# Matched as whole words on lower-cased text with punctuation turned into spaces: plain substring
# search is ~10x faster than one big regex alternation on 4,000-word transcripts.
_REFLECTION_CUES: tuple[str, ...] = tuple(
    f" {cue} "
    for cue in (
        "it sounds like",
        "sounds like you",
        "you feel",
        "you're feeling",
        "you are feeling",
        "you've been feeling",
        "you have been feeling",
        "so what you're saying",
        "so what you are saying",
        "i can see",
        "i hear that",
        "i'm hearing",
        "i am hearing",
        "what i'm hearing",
        "it seems like you",
        "you seem",
        "you're worried",
        "you are worried",
    )
)
_REFLECTION_STEMS: tuple[str, ...] = tuple(cue.strip() for cue in _REFLECTION_CUES)
_NOT_WORD = re.compile(r"[^a-z']+")
_WORDS_PER_MINUTE = 150.0
_MAX_RATIO = 5.0


class Turn(NamedTuple):
    """One speaker turn (a named tuple: cheap to create by the hundred thousand).

    Attributes
    ----------
    speaker : {"worker", "client"}
    text : str
    start, end : float or None
        Seconds from the start of the recording, when known.
    """

    speaker: Speaker
    text: str
    start: float | None = None
    end: float | None = None

    @property
    def duration(self) -> float | None:
        """Seconds spoken, or None without timestamps."""
        if self.start is None or self.end is None:
            return None
        return max(0.0, self.end - self.start)


def parse_transcript(text: str) -> list[Turn]:
    """Parse a transcript string (one turn per line) into turns.

    Parameters
    ----------
    text : str
        The transcript in the format described in the module docstring.

    Returns
    -------
    list of Turn
        Turns in order; blank lines are skipped.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If a timestamp ends before it starts.

    Examples
    --------
    >>> parse_transcript("[0-2.5] worker: Hello.\\nclient: Hi.")
    [Turn(speaker='worker', text='Hello.', start=0.0, end=2.5), Turn(speaker='client', \
text='Hi.', start=None, end=None)]
    """
    if not isinstance(text, str):
        raise TypeError(f"transcript must be a str, got {type(text).__name__}")
    turns = []
    match_line = _LINE.match  # hot loop: 4,000-word transcripts have hundreds of lines
    for line in text.splitlines():
        match = match_line(line)
        if match is None:  # cannot happen, every part of _LINE is optional; keeps mypy honest
            continue
        start, end, label, words = match.group("start", "end", "speaker", "text")
        if not words:
            continue
        speaker: Speaker = "client" if label is not None and label.lower() == "client" else "worker"
        if start is None:
            turns.append(Turn(speaker, words))
        elif float(end) < float(start):
            raise ValueError(f"turn ends before it starts: {line.strip()!r}")
        else:
            turns.append(Turn(speaker, words, float(start), float(end)))
    return turns


def format_transcript(turns: Iterable[Turn]) -> str:
    """Format turns back into the transcript string format.

    Examples
    --------
    >>> format_transcript([Turn("worker", "Hello.", 0.0, 2.5), Turn("client", "Hi.")])
    '[0.0-2.5] worker: Hello.\\nclient: Hi.'
    """
    return "\n".join(_format_turn(turn) for turn in turns)


def _format_turn(turn: Turn) -> str:
    text = " ".join(turn.text.split())  # a newline inside a turn would start a new turn
    if turn.start is None or turn.end is None:
        return f"{turn.speaker}: {text}"
    return f"[{turn.start:.1f}-{turn.end:.1f}] {turn.speaker}: {text}"


def _count_words(text: str) -> int:
    # Whitespace tokens: what "words" means in speech-rate figures, and 10x cheaper than a regex.
    return len(text.split())


def _questions(text: str) -> list[str]:
    """Sentences that are questions or open prompts ("Tell me about…")."""
    sentences = (s.strip() for s in _SENTENCE.findall(text))
    return [s for s in sentences if s.endswith("?") or _OPEN_PROMPT.match(s)]


def _is_reflective(text: str) -> bool:
    """Whether a turn has a statement with a reflective cue (questions don't count)."""
    lowered = text.lower()
    if not any(cue in lowered for cue in _REFLECTION_STEMS):
        return False  # a cheap substring test settles most turns
    return any(
        any(cue in f" {_NOT_WORD.sub(' ', sentence.lower())} " for cue in _REFLECTION_CUES)
        and not _QUESTION_OPENER.match(sentence)
        for sentence in _SENTENCE.findall(text)
    )


def _talk_share(turns: Sequence[Turn]) -> float:
    durations = [turn.duration for turn in turns]
    if durations and all(d is not None for d in durations):
        timed = [(t.speaker, d) for t, d in zip(turns, durations, strict=True) if d is not None]
        total = sum(d for _, d in timed)
        if total > 0:
            return sum(d for speaker, d in timed if speaker == "worker") / total
    words = [(t.speaker, _count_words(t.text)) for t in turns]
    total_words = sum(n for _, n in words)
    return sum(n for s, n in words if s == "worker") / total_words if total_words else 0.0


def _worker_minutes(worker: Sequence[Turn], n_words: int) -> float:
    durations = [turn.duration for turn in worker]
    if durations and all(d is not None for d in durations):
        seconds = sum(d for d in durations if d is not None)
        if seconds > 0:
            return seconds / 60.0
    return n_words / _WORDS_PER_MINUTE


def conversation_features(turns: Sequence[Turn]) -> NDArray[np.float64]:
    """Compute the conversation features of one parsed transcript.

    Parameters
    ----------
    turns : sequence of Turn

    Returns
    -------
    numpy.ndarray of shape (len(FEATURE_NAMES),)
        Values in :data:`FEATURE_NAMES` order; all zero for a transcript without worker turns.

    Examples
    --------
    >>> turns = parse_transcript("worker: How are you? It sounds like a hard week.\\n"
    ...                          "client: It was.\\nworker: Do you sleep?")
    >>> dict(zip(FEATURE_NAMES, conversation_features(turns).round(2).tolist()))
    ... # doctest: +NORMALIZE_WHITESPACE
    {'worker_talk_share': 0.86, 'questions_per_minute': 25.0, 'open_question_share': 0.5,
     'reflection_share': 0.5, 'reflections_per_question': 0.5, 'mean_worker_turn_words': 6.0}
    """
    worker = [turn for turn in turns if turn.speaker == "worker"]
    if not worker:
        return np.zeros(len(FEATURE_NAMES))
    n_words = sum(_count_words(turn.text) for turn in worker)
    questions = [q for turn in worker for q in _questions(turn.text)]
    n_open = sum(1 for q in questions if _OPEN_OPENERS.match(q))
    n_reflective = sum(1 for turn in worker if _is_reflective(turn.text))
    n_questions = len(questions)
    return np.array(
        [
            _talk_share(turns),
            n_questions / max(_worker_minutes(worker, n_words), 1e-9),
            n_open / n_questions if n_questions else 0.0,
            n_reflective / len(worker),
            min(n_reflective / n_questions, _MAX_RATIO)
            if n_questions
            else _MAX_RATIO * bool(n_reflective),
            n_words / len(worker),
        ]
    )


Parsed = list[Turn]


def _as_parsed(texts: Any) -> list[Parsed]:
    """Accept transcripts as strings or as already-parsed turn lists (from ParseTranscripts)."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of transcripts, got a single str")
    parsed = []
    for i, item in enumerate(texts):
        if isinstance(item, str):
            parsed.append(parse_transcript(item))
        elif isinstance(item, list) and all(isinstance(turn, Turn) for turn in item):
            parsed.append(item)
        else:
            raise TypeError(f"transcript {i} must be a str or a list of Turn, got {type(item)}")
    return parsed


class ParseTranscripts(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Parse transcript strings once, so that later steps in a union share the work.

    Its output (one list of :class:`Turn` per transcript) is accepted by
    :class:`ConversationFeatures` and :class:`WorkerText` in place of strings.
    """

    def fit(self, texts: Sequence[str], y: object = None) -> ParseTranscripts:
        """Return self (stateless)."""
        self.n_features_in_ = 1
        return self

    def transform(self, texts: Sequence[str]) -> list[Parsed]:
        """Return one list of turns per transcript."""
        return _as_parsed(texts)

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Return the single output column name."""
        return np.asarray(["turns"], dtype=object)


class ConversationFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Turn transcripts into the :data:`FEATURE_NAMES` columns (a scikit-learn transformer).

    Stateless: ``fit`` learns nothing, so it is safe anywhere in a pipeline.  Scale the output
    (e.g. with ``StandardScaler``) before a linear model, because the columns have unlike units.

    Examples
    --------
    >>> ConversationFeatures().fit_transform(["worker: Hi.\\nclient: Hello."]).shape
    (1, 6)
    """

    def fit(self, texts: Sequence[str | Parsed], y: object = None) -> ConversationFeatures:
        """Return self (stateless)."""
        self.n_features_in_ = 1
        return self

    def transform(self, texts: Sequence[str | Parsed]) -> NDArray[np.float64]:
        """Return an array of shape (n_texts, len(FEATURE_NAMES))."""
        rows = [conversation_features(turns) for turns in _as_parsed(texts)]
        return np.vstack(rows) if rows else np.empty((0, len(FEATURE_NAMES)))

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Return the feature names, in column order."""
        return np.asarray(FEATURE_NAMES, dtype=object)


class WorkerText(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Extract the worker's words from transcripts, for a text vectoriser.

    Parameters
    ----------
    include_client : bool, default False
        Also append the client's turns, each word prefixed with ``client_`` so that a
        vectoriser keeps the two speakers' vocabularies apart.  Off by default: the client is an
        actor following a script, and it is the worker who is being rated.

    Examples
    --------
    >>> WorkerText().fit_transform(["worker: Hi there.\\nclient: Hello.\\nworker: Thanks."])
    ['Hi there.\\nThanks.']
    """

    def __init__(self, include_client: bool = False) -> None:
        self.include_client = include_client

    def fit(self, texts: Sequence[str | Parsed], y: object = None) -> WorkerText:
        """Return self (stateless)."""
        self.n_features_in_ = 1
        return self

    def transform(self, texts: Sequence[str | Parsed]) -> list[str]:
        """Return one string per transcript: the worker's turns joined by newlines."""
        return [self._extract(turns) for turns in _as_parsed(texts)]

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Return the single output column name (a vectoriser makes the real features)."""
        return np.asarray(["worker_text"], dtype=object)

    def _extract(self, turns: Parsed) -> str:
        worker = "\n".join(turn.text for turn in turns if turn.speaker == "worker")
        if not self.include_client:
            return worker
        client = " ".join(
            f"client_{word}"
            for turn in turns
            if turn.speaker == "client"
            for word in turn.text.split()
        )
        return f"{worker}\n{client}" if client else worker


class CharNgramCounts(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Counts of character n-grams within word boundaries, one distinct word at a time.

    Gives the same matrix as ``CountVectorizer(analyzer="char_wb", ngram_range=ngram_range,
    min_df=min_df)`` (lower-cased, alphabetical columns), but cuts each *distinct* word into
    n-grams once and combines documents with one sparse product: on 4,000-word transcripts,
    where a few thousand words repeat, that is several times faster.  Words never seen in
    ``fit`` still contribute their known n-grams in ``transform``, exactly as in scikit-learn.
    Follow it with ``TfidfTransformer`` for TF-IDF.

    Parameters
    ----------
    ngram_range : (int, int), default (3, 5)
    min_df : int, default 2
        Keep n-grams that occur in at least this many training documents.
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), min_df: int = 2) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts: Sequence[str], y: object = None) -> CharNgramCounts:
        """Learn the n-gram vocabulary."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sparse.csr_matrix:
        """Learn the vocabulary and return the count matrix of ``texts``."""
        words, word_counts = _count_words_per_doc(texts)
        gram_index: dict[str, int] = {}
        counts = word_counts @ self._gram_matrix(words, gram_index, grow=True)
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        kept = sorted(g for g, i in gram_index.items() if document_frequency[i] >= self.min_df)
        self.vocabulary_ = {gram: column for column, gram in enumerate(kept)}
        self.n_features_in_ = 1
        return counts[:, [gram_index[g] for g in kept]].tocsr()

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the count matrix of ``texts`` over the fitted vocabulary."""
        words, word_counts = _count_words_per_doc(texts)
        return (word_counts @ self._gram_matrix(words, self.vocabulary_, grow=False)).tocsr()

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Return the n-grams in column order."""
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)

    def _gram_matrix(
        self, words: list[str], index: dict[str, int], *, grow: bool
    ) -> sparse.csr_matrix:
        analyze = CountVectorizer(
            analyzer="char_wb", ngram_range=self.ngram_range, lowercase=False
        ).build_analyzer()
        rows, columns = [], []
        for row, word in enumerate(words):
            for gram in analyze(word):
                column = index.setdefault(gram, len(index)) if grow else index.get(gram)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
        data = np.ones(len(rows), dtype=np.int64)
        shape = (len(words), len(index))
        return sparse.csr_matrix((data, (rows, columns)), shape=shape)  # duplicates are summed


def _count_words_per_doc(texts: Sequence[str]) -> tuple[list[str], sparse.csr_matrix]:
    """Distinct lower-cased whitespace tokens and a documents x words count matrix."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got a single str")
    index: dict[str, int] = {}
    indptr, indices, values = [0], [], []
    for text in texts:
        for word, count in Counter(text.lower().split()).items():
            indices.append(index.setdefault(word, len(index)))
            values.append(count)
        indptr.append(len(indices))
    shape = (len(indptr) - 1, len(index))
    matrix = sparse.csr_matrix((np.array(values, dtype=np.int64), indices, indptr), shape=shape)
    return list(index), matrix
