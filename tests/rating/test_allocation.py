"""Tests for rating.allocation: blind allocation of recordings to raters."""

import copy
import pickle
import random
import re
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.allocation import (
    PUBLIC_CODE_ALPHABET,
    PUBLIC_CODE_PATTERN,
    Allocation,
    Rater,
    Recording,
    Role,
    allocate_raters,
    count_double_coded,
    generate_public_code,
    reallocate,
)

PROPERTY = settings(max_examples=150, deadline=None, database=None)


@st.composite
def batches(draw, *, exclusions: bool = True, equal_loads: bool = False, min_raters: int = 4):
    """Recordings, raters, fraction and seed; every recording keeps two eligible raters."""
    raters = [
        Rater(f"r{i}", 0 if equal_loads else draw(st.integers(0, 6)))
        for i in range(draw(st.integers(min_raters, 8)))
    ]
    ids = [rater.id for rater in raters]
    recordings = []
    for index in range(draw(st.integers(0, 30))):
        people = {f"t{index}"}
        if exclusions:
            people |= set(draw(st.lists(st.sampled_from(ids), max_size=len(ids) - 2)))
        recordings.append(Recording(f"rec{index}", frozenset(people), draw(st.sampled_from("ABC"))))
    fraction = draw(st.floats(0, 1))
    return recordings, raters, fraction, draw(st.integers(0, 2**32))


def allocate(batch) -> Allocation:
    recordings, raters, fraction, seed = batch
    return allocate_raters(recordings, raters, double_fraction=fraction, seed=seed)


def coders(allocation: Allocation) -> dict[str, dict[Role, str]]:
    result: dict[str, dict[Role, str]] = {}
    for task in allocation.tasks:
        assert task.role not in result.setdefault(task.recording_id, {})
        result[task.recording_id][task.role] = task.rater_id
    return result


@PROPERTY
@given(batches())
def test_double_coded_share_is_within_half_a_recording_of_the_target(batch) -> None:
    recordings, _, fraction, _ = batch
    allocation = allocate(batch)
    assert abs(len(allocation.double_coded) - fraction * len(recordings)) <= 0.5 + 1e-9


@PROPERTY
@given(st.lists(st.integers(0, 12), max_size=8), st.floats(0, 1))
def test_running_share_stays_on_target_across_batches(sizes: list[int], fraction: float) -> None:
    raters = [Rater("r1"), Rater("r2"), Rater("r3")]
    total = double = 0
    for batch, size in enumerate(sizes):
        recordings = [Recording(f"b{batch}-{i}", frozenset({"t"})) for i in range(size)]
        allocation = allocate_raters(
            recordings, raters, double_fraction=fraction, seed=batch,
            already_double=double, already_total=total,
        )  # fmt: skip
        total += size
        double += len(allocation.double_coded)
        assert abs(double - fraction * total) <= 0.5 + 1e-9


@PROPERTY
@given(batches())
def test_nobody_rates_a_recording_they_are_in(batch) -> None:
    people = {recording.id: recording.people for recording in batch[0]}
    for task in allocate(batch).tasks:
        assert task.rater_id not in people[task.recording_id]


@PROPERTY
@given(batches())
def test_every_recording_has_one_primary_and_a_different_second(batch) -> None:
    allocation = allocate(batch)
    by_recording = coders(allocation)
    assert set(by_recording) == {recording.id for recording in batch[0]}
    for recording_id, roles in by_recording.items():
        assert Role.PRIMARY in roles
        if Role.SECOND in roles:
            assert roles[Role.SECOND] != roles[Role.PRIMARY]
            assert recording_id in allocation.double_coded


@PROPERTY
@given(batches(exclusions=False, min_raters=2))
def test_single_coded_batches_level_unequal_loads(batch) -> None:
    recordings, raters, _, seed = batch
    allocation = allocate_raters(recordings, raters, double_fraction=0.0, seed=seed)
    before = {rater.id: rater.load for rater in raters}
    lightest = min(allocation.loads.values())
    for rater_id, load in allocation.loads.items():
        assert load == before[rater_id] or load <= lightest + 1
    if len(recordings) >= sum(max(before.values()) - load for load in before.values()):
        assert max(allocation.loads.values()) - lightest <= 1


@PROPERTY
@given(batches(exclusions=False, equal_loads=True, min_raters=2))
def test_loads_differ_by_at_most_one_without_exclusions(batch) -> None:
    loads = allocate(batch).loads.values()
    assert max(loads) - min(loads) <= 1


@PROPERTY
@given(batches())
def test_no_chain_of_task_moves_could_even_out_loads(batch) -> None:
    """With exclusions the loads are as even as they allow: no task can go to a lighter rater."""
    recordings, raters, _, _ = batch
    people = {recording.id: recording.people for recording in recordings}
    allocation = allocate(batch)
    assigned = coders(allocation)
    for task in allocation.tasks:
        taken = set(assigned[task.recording_id].values())
        for rater in raters:
            if rater.id not in people[task.recording_id] | taken:
                assert allocation.loads[rater.id] >= allocation.loads[task.rater_id] - 1


@PROPERTY
@given(batches())
def test_loads_add_up(batch) -> None:
    _, raters, _, _ = batch
    allocation = allocate(batch)
    new = Counter(task.rater_id for task in allocation.tasks)
    assert dict(allocation.loads) == {rater.id: rater.load + new[rater.id] for rater in raters}


@PROPERTY
@given(batches(exclusions=False, equal_loads=True, min_raters=2))
def test_each_group_is_spread_evenly_across_raters(batch) -> None:
    recordings, raters, _, _ = batch
    group = {recording.id: recording.group for recording in recordings}
    allocation = allocate(batch)
    for label in set(group.values()):
        counts = Counter(t.rater_id for t in allocation.tasks if group[t.recording_id] == label)
        spread = [counts[rater.id] for rater in raters]
        assert max(spread) - min(spread) <= 1, (label, spread)


def test_every_queue_mixes_groups_when_there_is_enough_of_each() -> None:
    recordings = [Recording(f"{g}{i}", frozenset({f"t-{g}{i}"}), g) for g in "XY" for i in range(6)]
    raters = [Rater(f"r{i}") for i in range(3)]
    allocation = allocate_raters(recordings, raters, double_fraction=0.0, seed=7)
    for rater in raters:
        assert {recording_id[0] for recording_id in allocation.queue(rater.id)} == {"X", "Y"}


@PROPERTY
@given(batches(), st.randoms(use_true_random=False))
def test_same_seed_gives_the_same_allocation_whatever_the_input_order(batch, rnd) -> None:
    recordings, raters, fraction, seed = batch
    shuffled = (rnd.sample(recordings, len(recordings)), rnd.sample(raters, len(raters)))
    again = allocate_raters(*shuffled, double_fraction=fraction, seed=seed)
    assert again == allocate(batch)


def test_different_seeds_give_different_allocations() -> None:
    recordings = [Recording(f"rec{i}", frozenset({f"t{i}"}), "AB"[i % 2]) for i in range(20)]
    raters = [Rater(f"r{i}") for i in range(4)]
    results = {allocate_raters(recordings, raters, seed=seed).tasks for seed in range(5)}
    assert len(results) > 1


def test_a_drawn_seed_is_returned_and_reproduces_the_allocation() -> None:
    recordings = [Recording(f"rec{i}", frozenset({f"t{i}"})) for i in range(10)]
    raters = [Rater("a"), Rater("b", 2), Rater("c")]
    first = allocate_raters(recordings, raters)
    assert allocate_raters(recordings, raters, seed=first.seed) == first


def test_queue_order_is_shuffled_not_grouped() -> None:
    recordings = [Recording(f"{g}{i:02}", frozenset(), g) for g in "XY" for i in range(40)]
    allocation = allocate_raters(recordings, [Rater("solo")], double_fraction=0.0, seed=3)
    queue = allocation.queue("solo")
    assert sorted(queue) == sorted(r.id for r in recordings)
    assert queue != tuple(sorted(queue))


def test_allocation_lookups() -> None:
    recordings = [Recording("a", frozenset({"r1"})), Recording("b", frozenset({"r2"}))]
    raters = [Rater("r1"), Rater("r2"), Rater("r3")]
    allocation = allocate_raters(recordings, raters, double_fraction=1.0, seed=0)
    assert allocation.double_coded == {"a", "b"}
    assert allocation.coder("a") != allocation.coder("a", Role.SECOND)
    assert allocation.coder("missing") is None
    assert sum(len(allocation.queue(rater.id)) for rater in raters) == 4


def test_allocations_are_read_only_and_survive_pickling() -> None:
    recordings = [Recording(f"rec{i}", frozenset({f"t{i}"})) for i in range(6)]
    allocation = allocate_raters(recordings, [Rater("r1"), Rater("r2")], seed=2)
    with pytest.raises(TypeError):
        allocation.loads["r1"] = 0  # type: ignore[index]
    assert pickle.loads(pickle.dumps(allocation)) == allocation
    assert copy.deepcopy(allocation) == allocation


def test_an_empty_batch_allocates_nothing() -> None:
    allocation = allocate_raters([], [Rater("r1", 3)], seed=1)
    assert allocation.tasks == ()
    assert dict(allocation.loads) == {"r1": 3}


@pytest.mark.parametrize(
    ("recordings", "raters", "options", "message"),
    [
        (
            [Recording("a", frozenset({"r1", "r2"})), Recording("b", frozenset({"r1"}))],
            [Rater("r1"), Rater("r2")],
            {"double_fraction": 0.0},
            "no eligible rater for recording(s) 'a': every rater is in them",
        ),
        (
            [Recording("a"), Recording("b")],
            [Rater("r1")],
            {"double_fraction": 0.5},
            "1 of 2 recordings must be double-coded but only 0 have two eligible raters",
        ),
        ([Recording("a")], [], {}, "no raters to allocate 1 recordings to"),
        ([Recording("a"), Recording("a")], [Rater("r1")], {}, "duplicate recording ids: 'a'"),
        ([Recording("a")], [Rater("r1"), Rater("r1")], {}, "duplicate rater ids: 'r1'"),
        ([Recording("a")], [Rater("r1", -1)], {}, "rater loads must not be negative: 'r1'"),
        ([], [Rater("r1")], {"double_fraction": 1.5}, "double_fraction must be between 0 and 1"),
        (
            [],
            [Rater("r1")],
            {"already_double": 3, "already_total": 2},
            "already_double must be in 0..already_total (2), got 3",
        ),
    ],
)
def test_impossible_inputs_give_clear_errors(recordings, raters, options, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        allocate_raters(recordings, raters, seed=0, **options)


@PROPERTY
@given(batches(exclusions=False), st.data())
def test_recordings_everybody_is_in_are_named_in_the_error(batch, data) -> None:
    recordings, raters, fraction, seed = batch
    if not recordings:
        return
    everyone = frozenset(rater.id for rater in raters)
    index = data.draw(st.integers(0, len(recordings) - 1))
    recordings[index] = replace(recordings[index], people=everyone)
    with pytest.raises(ValueError, match=f"'{recordings[index].id}'"):
        allocate_raters(recordings, raters, double_fraction=fraction, seed=seed)


def test_a_batch_catches_up_when_earlier_batches_fell_short() -> None:
    recordings = [Recording(f"x{i}", frozenset({"r1"})) for i in range(4)]
    raters = [Rater("r1"), Rater("r2"), Rater("r3")]
    allocation = allocate_raters(recordings, raters, seed=0, already_double=2, already_total=10)
    assert len(allocation.double_coded) == 4  # round(0.5 * 14) - 2 = 5, at most the batch


def test_count_double_coded_rounds_half_up() -> None:
    assert count_double_coded(33, fraction=0.5) == 17
    assert count_double_coded(5, fraction=0.3) == 2
    assert count_double_coded(0, fraction=0.5) == 0
    assert count_double_coded(4, fraction=0.5, already_double=9, already_total=10) == 0


def test_reallocate_picks_the_least_loaded_eligible_rater() -> None:
    raters = [Rater("declined", 0), Rater("other", 0), Rater("inside", 0), Rater("busy", 5)]
    raters += [Rater("free", 1), Rater("barred", 0)]
    recording = Recording("a", frozenset({"inside", "t1"}))
    chosen = reallocate(
        recording, raters, declined_by="declined", other_coder="other", excluded={"barred"}
    )
    assert chosen == "free"


def test_reallocate_breaks_ties_by_seed() -> None:
    raters = [Rater(f"r{i}", 2) for i in range(6)]
    picks = {reallocate(Recording("a"), raters, declined_by="r0", seed=s) for s in range(30)}
    assert len(picks) > 1
    assert "r0" not in picks
    assert reallocate(Recording("a"), raters, declined_by="r0", seed=4) == reallocate(
        Recording("a"), raters, declined_by="r0", seed=4
    )


def test_reallocate_without_a_candidate_explains_why() -> None:
    raters = [Rater("r1"), Rater("r2"), Rater("r3")]
    with pytest.raises(ValueError, match="no replacement rater for recording 'a': all 3 raters"):
        reallocate(Recording("a", frozenset({"r3"})), raters, declined_by="r1", other_coder="r2")


def test_public_codes_look_right_and_use_the_unambiguous_alphabet() -> None:
    codes = {generate_public_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(PUBLIC_CODE_PATTERN.fullmatch(code) for code in codes)
    assert not set("01ILOU") & set(PUBLIC_CODE_ALPHABET)


def test_public_codes_are_reproducible_with_a_seeded_generator() -> None:
    first = generate_public_code(random.Random(5))
    assert first == generate_public_code(random.Random(5))
    assert re.fullmatch(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", first)
