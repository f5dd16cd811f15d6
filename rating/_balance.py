"""Load balancing for :mod:`rating.allocation` (private).

Tasks are *slots*: one per coder of a recording.  :func:`deal` gives each slot, in the order
given, to the eligible rater with the smallest total load, then the fewest tasks of the slot's
group, then the next turn in a fixed rotation; with equal starting loads and no exclusions this
deals the slots round the raters like cards.  :func:`rebalance` then moves tasks along
*cost-reducing paths* [1]_: chains ``u -> v -> ... -> w`` in which each rater hands one task
to the next rater, who may take it, and ``w`` has at least two tasks fewer than ``u``.  Each
shift lowers the sum of squared loads by at least two, so the loop ends; when it does, no
chain of moves can make the loads more even.  Without further constraints such an allocation
is optimal for every L_p norm of the loads, including the largest load [1]_.  Here the rule
that the two coders of a recording differ is applied against the partner's current rater.

References
----------
.. [1] Harvey, N. J. A., Ladner, R. E., Lovász, L., & Tamir, T. (2006). Semi-matchings for
   bipartite graphs and load balancing. *Journal of Algorithms*, 59(1), 53-78.
   https://doi.org/10.1016/j.jalgor.2005.01.003
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(eq=False)
class Slot:
    """One task being allocated; ``partner`` is the other coder's slot, if double-coded."""

    recording_id: str
    group: str
    second: bool = False
    rater: str = ""
    partner: Slot | None = field(default=None, repr=False)


def candidates(slot: Slot, eligible: Mapping[str, list[str]]) -> list[str]:
    """Return the raters who may take ``slot`` now: eligible and not its partner's rater."""
    taken = slot.partner.rater if slot.partner else ""
    return [rater for rater in eligible[slot.recording_id] if rater != taken]


def deal(
    slots: Sequence[Slot],
    eligible: Mapping[str, list[str]],
    loads: dict[str, int],
    rotation: Sequence[str],
) -> None:
    """Give each slot to the least-loaded candidate, then fewest of its group, then rotation."""
    position = {rater: index for index, rater in enumerate(rotation)}
    per_group: Counter[tuple[str, str]] = Counter()
    cursor = 0
    for slot in slots:
        group = slot.group
        ranked = [
            (
                loads[rater],
                per_group[rater, group],
                (position[rater] - cursor) % len(rotation),
                rater,
            )
            for rater in candidates(slot, eligible)
        ]
        slot.rater = min(ranked)[-1]
        loads[slot.rater] += 1
        per_group[slot.rater, group] += 1
        cursor = position[slot.rater] + 1


def rebalance(
    slots: Sequence[Slot],
    eligible: Mapping[str, list[str]],
    loads: dict[str, int],
    rotation: Sequence[str],
) -> None:
    """Shift tasks along cost-reducing paths until none is left (Harvey et al., 2006)."""
    while path := _find_cost_reducing_path(slots, eligible, loads, rotation):
        loads[path[0][0].rater] -= 1
        loads[path[-1][1]] += 1
        for slot, new_rater in path:
            slot.rater = new_rater


def _find_cost_reducing_path(
    slots: Sequence[Slot],
    eligible: Mapping[str, list[str]],
    loads: Mapping[str, int],
    rotation: Sequence[str],
) -> list[tuple[Slot, str]]:
    """Return moves ``(slot, new rater)`` from a rater to one at least two tasks lighter."""
    held: dict[str, list[Slot]] = {rater: [] for rater in rotation}
    for slot in slots:
        held[slot.rater].append(slot)
    for start in sorted(rotation, key=lambda rater: -loads[rater]):
        path = _search_from(start, held, eligible, loads)
        if path:
            return path
    return []


def _search_from(
    start: str,
    held: Mapping[str, list[Slot]],
    eligible: Mapping[str, list[str]],
    loads: Mapping[str, int],
) -> list[tuple[Slot, str]]:
    """Breadth-first search over 'a task held by u could move to v' edges."""
    came_from: dict[str, tuple[Slot, str]] = {}
    frontier = deque([start])
    while frontier:
        holder = frontier.popleft()
        for slot in held[holder]:
            for rater in candidates(slot, eligible):
                if rater == start or rater in came_from:
                    continue
                came_from[rater] = (slot, holder)
                if loads[rater] <= loads[start] - 2:
                    return _trace(came_from, start, rater)
                frontier.append(rater)
    return []


def _trace(
    came_from: Mapping[str, tuple[Slot, str]], start: str, end: str
) -> list[tuple[Slot, str]]:
    moves: list[tuple[Slot, str]] = []
    rater = end
    while rater != start:
        slot, holder = came_from[rater]
        moves.append((slot, rater))
        rater = holder
    return moves[::-1]
