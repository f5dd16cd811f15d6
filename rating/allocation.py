"""Blind allocation of recordings to raters.

A pure algorithm: the caller passes opaque ids and gets rating tasks back; nothing here sees
names, cohorts or dates.  Every recording gets exactly one primary rater and a chosen subset
gets an independent second rater, subject to these rules:

- **Nobody rates a recording they are in.**  ``Recording.people`` holds everyone in it (the
  trainee, the actor if known); a rater whose id is in that set is never allocated to it, and
  the two coders of a recording are always different people.
- **Double-coding fraction.**  A batch of ``n`` recordings gets
  ``k = round_half_up(double_fraction * (already_total + n)) - already_double`` second
  raters, clipped to ``0..n`` (see :func:`count_double_coded`).  With ``already_total=0``
  this is ``round(double_fraction * n)``, within half a recording of the target.  Passing the
  running counts of earlier batches (recordings allocated so far and how many of them were
  double-coded) keeps the cumulative fraction within half a recording of the target across
  any number of batches.  Double-coded recordings are spread across groups in proportion to
  their size.
- **Balanced workload.**  Each task goes to the eligible rater with the smallest total load
  (``Rater.load``, the open tasks they already have, plus the new ones); the allocation is
  then improved along cost-reducing paths (Harvey et al., 2006) until no chain of task moves
  can make the loads more even (details in :mod:`rating._balance`).  So when nobody is
  excluded and raters start level, all totals differ by at most one; with single coding,
  every rater who gets new work ends within one of the lightest rater, and all totals end
  within one once the batch is big enough to absorb earlier differences.  Exclusions can
  prevent this, and the rule that the two coders differ is one: a double-coded recording
  needs two raters even if the second is much busier than the first.
- **Mixed queues.**  Recordings are dealt group by group, each second coder straight after
  its primary, round a rotating rater order; ties in load go to the rater with the fewest
  tasks from that group.  With level loads and no exclusions every group's tasks are spread
  so that any two raters' counts differ by at most one.  Which of a recording's two coders
  is called primary is then decided by a coin toss, and each queue is returned shuffled, so
  neither role nor queue position reveals the dealing order (or, through it, the group).
  The group label is used for nothing else.
- **Deterministic.**  The result depends only on the inputs and ``seed`` (not on input
  order); when no seed is given one is drawn with :mod:`secrets` and returned in
  :attr:`Allocation.seed` so the allocation can be reproduced.

Impossible inputs raise ``ValueError`` and nothing is allocated: a batch is all or nothing, so
the caller never writes a partial allocation.  The message names every recording that has no
eligible rater, or says how many recordings needed a second rater and how many had one.

References
----------
Harvey, N. J. A., Ladner, R. E., Lovász, L., & Tamir, T. (2006). Semi-matchings for bipartite
graphs and load balancing. *Journal of Algorithms*, 59(1), 53-78.
https://doi.org/10.1016/j.jalgor.2005.01.003
"""

from __future__ import annotations

import math
import random
import re
import secrets
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from rating._balance import Slot, deal, rebalance

__all__ = [
    "PUBLIC_CODE_ALPHABET",
    "PUBLIC_CODE_PATTERN",
    "Allocation",
    "Rater",
    "Recording",
    "Role",
    "Task",
    "allocate_raters",
    "count_double_coded",
    "generate_public_code",
    "reallocate",
]

_T = TypeVar("_T")

# No 0/O, 1/I/L or U: codes are read aloud and typed by hand.
PUBLIC_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PUBLIC_CODE_PATTERN = re.compile(
    rf"^R-[{PUBLIC_CODE_ALPHABET}]{{4}}-[{PUBLIC_CODE_ALPHABET}]{{4}}$"
)


class Role(StrEnum):
    """Which coder of a recording a task is for."""

    PRIMARY = "primary"
    SECOND = "second"


@dataclass(frozen=True)
class Recording:
    """A recording to be rated, reduced to what allocation needs.

    Attributes
    ----------
    id : str
        Opaque identifier.
    people : frozenset of str
        Ids of everyone in the recording (trainee, actor if known), in the same id space as
        rater ids; none of them may rate it.
    group : str
        Label used only to mix groups within each rater's queue (e.g. a hashed cohort).
    """

    id: str
    people: frozenset[str] = frozenset()
    group: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "people", frozenset(self.people))


@dataclass(frozen=True)
class Rater:
    """A rater and the number of rating tasks they already have open."""

    id: str
    load: int = 0


@dataclass(frozen=True)
class Task:
    """One rating task: ``rater_id`` rates ``recording_id`` as primary or second coder."""

    recording_id: str
    rater_id: str
    role: Role


@dataclass(frozen=True)
class Allocation:
    """The result of :func:`allocate_raters`.

    Attributes
    ----------
    tasks : tuple of Task
        All new tasks, in a random order that is also each rater's presentation order.
    seed : int
        The seed that reproduces this allocation.
    loads : Mapping[str, int]
        Every rater's total load afterwards (existing plus new).
    """

    tasks: tuple[Task, ...]
    seed: int
    loads: Mapping[str, int] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "loads", MappingProxyType(dict(self.loads)))

    def __reduce__(self) -> tuple[type[Allocation], tuple[tuple[Task, ...], int, dict[str, int]]]:
        # A mappingproxy cannot be pickled or deep-copied; rebuild from a plain dict instead.
        return Allocation, (self.tasks, self.seed, dict(self.loads))

    @property
    def double_coded(self) -> frozenset[str]:
        """Ids of the recordings that have a second rater."""
        return frozenset(t.recording_id for t in self.tasks if t.role is Role.SECOND)

    def queue(self, rater_id: str) -> tuple[str, ...]:
        """Return the recording ids allocated to ``rater_id``, in presentation order."""
        return tuple(t.recording_id for t in self.tasks if t.rater_id == rater_id)

    def coder(self, recording_id: str, role: Role = Role.PRIMARY) -> str | None:
        """Return the rater allocated to ``recording_id`` in ``role``, or ``None``."""
        for task in self.tasks:
            if task.recording_id == recording_id and task.role is role:
                return task.rater_id
        return None


def count_double_coded(
    n: int, *, fraction: float, already_double: int = 0, already_total: int = 0
) -> int:
    """Return how many of ``n`` new recordings to double-code.

    Parameters
    ----------
    n : int
        Recordings in this batch.
    fraction : float
        Target share of double-coded recordings, in ``[0, 1]``.
    already_double, already_total : int, optional
        Double-coded and total recordings allocated in earlier batches.

    Returns
    -------
    int
        :math:`k = \\min(n, \\max(0, \\lfloor f (T + n) + 1/2 \\rfloor - D))` with
        :math:`T` = ``already_total`` and :math:`D` = ``already_double``.

    Examples
    --------
    >>> count_double_coded(33, fraction=0.5)
    17
    >>> count_double_coded(10, fraction=0.5, already_double=17, already_total=33)
    5
    """
    _check_fraction_inputs(n, fraction, already_double, already_total)
    target = math.floor(fraction * (already_total + n) + 0.5)
    return min(n, max(0, target - already_double))


def _check_fraction_inputs(n: int, fraction: float, double: int, total: int) -> None:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"double_fraction must be between 0 and 1, got {fraction!r}")
    if n < 0 or total < 0:
        raise ValueError(f"recording counts must not be negative, got n={n}, total={total}")
    if not 0 <= double <= total:
        raise ValueError(f"already_double must be in 0..already_total ({total}), got {double}")


def allocate_raters(
    recordings: Sequence[Recording],
    raters: Sequence[Rater],
    *,
    double_fraction: float = 0.5,
    seed: int | None = None,
    already_double: int = 0,
    already_total: int = 0,
) -> Allocation:
    """Allocate one primary rater to every recording and a second rater to a subset.

    Parameters
    ----------
    recordings : sequence of Recording
        The batch to allocate; ids must be unique.
    raters : sequence of Rater
        Everyone who may rate, with their current open load; ids must be unique.
    double_fraction : float, optional
        Target share of double-coded recordings (default 0.5, as in the study design).
    seed : int, optional
        Seed for every random choice; drawn with :mod:`secrets` when omitted.
    already_double, already_total : int, optional
        Running counts from earlier batches, so the cumulative fraction stays on target.

    Returns
    -------
    Allocation

    Raises
    ------
    ValueError
        On malformed input (duplicate ids, negative loads, fraction outside [0, 1]), when a
        recording has no eligible rater, or when fewer recordings than required have two
        eligible raters.  Nothing is allocated in that case.

    Examples
    --------
    >>> recs = [Recording("a", frozenset({"t1"}), "x"), Recording("b", frozenset({"t2"}), "y")]
    >>> result = allocate_raters(recs, [Rater("r1"), Rater("r2")], seed=1)
    >>> sorted(result.loads.values()), len(result.double_coded)
    ([1, 2], 1)
    """
    _check_ids(recordings, raters)
    k = count_double_coded(
        len(recordings),
        fraction=double_fraction,
        already_double=already_double,
        already_total=already_total,
    )
    seed = secrets.randbits(63) if seed is None else seed
    rng = random.Random(seed)
    rotation = _shuffled(sorted(rater.id for rater in raters), rng)
    ordered = sorted(recordings, key=lambda recording: recording.id)
    eligible = {rec.id: [r for r in rotation if r not in rec.people] for rec in ordered}
    _require_eligible(eligible)
    doubles = _choose_double(ordered, eligible, k, rng)
    loads = {rater.id: rater.load for rater in raters}
    slots = _make_slots(ordered, doubles, rng)
    deal(slots, eligible, loads, rotation)
    rebalance(slots, eligible, loads, rotation)
    _randomise_roles(slots, rng)
    tasks = _shuffled([Task(s.recording_id, s.rater, _role(s)) for s in slots], rng)
    return Allocation(tuple(tasks), seed, dict(sorted(loads.items())))


def _shuffled(items: list[_T], rng: random.Random) -> list[_T]:
    rng.shuffle(items)
    return items


def _check_ids(recordings: Sequence[Recording], raters: Sequence[Rater]) -> None:
    for kind, ids in (("recording", [r.id for r in recordings]), ("rater", [r.id for r in raters])):
        repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
        if repeated:
            raise ValueError(f"duplicate {kind} ids: {', '.join(map(repr, repeated))}")
    negative = sorted(rater.id for rater in raters if rater.load < 0)
    if negative:
        raise ValueError(f"rater loads must not be negative: {', '.join(map(repr, negative))}")
    if recordings and not raters:
        raise ValueError(f"no raters to allocate {len(recordings)} recordings to")


def _require_eligible(eligible: Mapping[str, list[str]]) -> None:
    stuck = [recording_id for recording_id, raters in eligible.items() if not raters]
    if stuck:
        names = ", ".join(map(repr, stuck))
        raise ValueError(f"no eligible rater for recording(s) {names}: every rater is in them")


def _choose_double(
    ordered: Sequence[Recording], eligible: Mapping[str, list[str]], k: int, rng: random.Random
) -> set[str]:
    candidates = [rec for rec in ordered if len(eligible[rec.id]) >= 2]
    if len(candidates) < k:
        raise ValueError(
            f"{k} of {len(ordered)} recordings must be double-coded but only {len(candidates)} "
            "have two eligible raters; add raters or lower double_fraction"
        )
    return {rec.id for rec in _proportional_order(candidates, rng)[:k]}


def _proportional_order(recordings: Sequence[Recording], rng: random.Random) -> list[Recording]:
    """Interleave groups so that any prefix holds each group roughly in proportion."""
    keyed: list[tuple[float, float, Recording]] = []
    for members in _by_group(recordings, rng):
        keyed += [((i + 0.5) / len(members), rng.random(), r) for i, r in enumerate(members)]
    return [recording for *_, recording in sorted(keyed, key=lambda item: item[:2])]


def _by_group(recordings: Iterable[Recording], rng: random.Random) -> list[list[Recording]]:
    """Return the recordings of each group, groups and members in seeded random order."""
    groups: dict[str, list[Recording]] = {}
    for recording in recordings:
        groups.setdefault(recording.group, []).append(recording)
    order = _shuffled(sorted(groups), rng)
    return [_shuffled(groups[label], rng) for label in order]


def _make_slots(
    ordered: Sequence[Recording], doubles: Collection[str], rng: random.Random
) -> list[Slot]:
    """Return the slots group by group, each second slot right after its primary."""
    slots: list[Slot] = []
    for members in _by_group(ordered, rng):
        for recording in members:
            slots.append(Slot(recording.id, recording.group))
            if recording.id in doubles:
                slots.append(Slot(recording.id, recording.group, second=True, partner=slots[-1]))
                slots[-2].partner = slots[-1]
    return slots


def _role(slot: Slot) -> Role:
    return Role.SECOND if slot.second else Role.PRIMARY


def _randomise_roles(slots: Sequence[Slot], rng: random.Random) -> None:
    """Make either coder of a double-coded recording equally likely to be its primary."""
    for slot in slots:
        if not slot.second and slot.partner and rng.random() < 0.5:
            slot.rater, slot.partner.rater = slot.partner.rater, slot.rater


def reallocate(
    recording: Recording,
    raters: Sequence[Rater],
    *,
    declined_by: str,
    other_coder: str | None = None,
    excluded: Collection[str] = (),
    seed: int | None = None,
) -> str:
    """Choose a replacement rater for one task, e.g. after a rater recognises the trainee.

    Parameters
    ----------
    recording : Recording
        The recording whose task needs a new rater.
    raters : sequence of Rater
        Candidates with their current open loads.
    declined_by : str
        The rater giving the task up; never chosen again for it.
    other_coder : str, optional
        The recording's other coder, if it is double-coded.
    excluded : collection of str, optional
        Anyone else to leave out, e.g. raters who declined this recording before.
    seed : int, optional
        Seed for breaking ties between equally loaded raters (random when omitted).

    Returns
    -------
    str
        The id of the least-loaded eligible rater.

    Raises
    ------
    ValueError
        If every rater is excluded; the message says why each group of raters was.

    Examples
    --------
    >>> raters = [Rater("r1", 3), Rater("r2", 1), Rater("r3", 0)]
    >>> reallocate(Recording("a", frozenset({"r3"})), raters, declined_by="r1")
    'r2'
    """
    barred = {declined_by, *excluded, *recording.people}
    if other_coder is not None:
        barred.add(other_coder)
    pool = sorted((r for r in raters if r.id not in barred), key=lambda r: r.id)
    if not pool:
        raise ValueError(
            f"no replacement rater for recording {recording.id!r}: all {len(raters)} raters "
            f"are excluded (declined by {declined_by!r}, other coder {other_coder!r}, "
            f"{len(recording.people)} people in the recording, {len(excluded)} others excluded)"
        )
    tiebreak = random.Random(seed) if seed is not None else secrets.SystemRandom()
    lightest = min(rater.load for rater in pool)
    return tiebreak.choice([rater.id for rater in pool if rater.load == lightest])


def generate_public_code(rng: random.Random | None = None) -> str:
    """Return an opaque code such as ``"R-7K3Q-9XPM"`` to show raters instead of an id.

    Eight characters from :data:`PUBLIC_CODE_ALPHABET` (30 symbols with no look-alikes),
    about 39 bits; the caller must still check uniqueness against stored codes.

    Parameters
    ----------
    rng : random.Random, optional
        Source of randomness; :mod:`secrets` when omitted.  Pass a seeded generator only in
        tests.

    Returns
    -------
    str
        A code matching :data:`PUBLIC_CODE_PATTERN`.
    """
    choose = rng.choice if rng is not None else secrets.choice
    blocks = ("".join(choose(PUBLIC_CODE_ALPHABET) for _ in range(4)) for _ in range(2))
    return "-".join(("R", *blocks))
