"""Tests for rating.instruments: the YAML format, its validation and the built-in instruments."""

import copy
import json
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rating.instruments import (
    DEFAULT_INSTRUMENT,
    Instrument,
    instrument_fingerprint,
    load_builtin_instruments,
    load_instrument,
    parse_instrument,
    validate_score,
)

BUILTIN = load_builtin_instruments()
ALL_DIMENSIONS = [
    pytest.param(instrument, dimension, id=f"{slug}.{dimension.key}")
    for slug, instrument in BUILTIN.items()
    for dimension in instrument.dimensions
]


def make_document() -> dict[str, Any]:
    return {
        "slug": "demo",
        "version": 1,
        "title": "Demo instrument",
        "description": "For tests.",
        "scale": {"min": 1, "max": 5},
        "dimensions": [
            {
                "key": key,
                "label": key.title(),
                "description": f"How much {key}.",
                "anchors": {score: f"{key} level {score}." for score in range(1, 6)},
            }
            for key in ("warmth", "empathy", "child-focus")
        ],
    }


def test_builtin_instruments_include_the_default_and_the_seven_skills() -> None:
    assert set(BUILTIN) == {DEFAULT_INSTRUMENT, "seven-skills"}


def test_default_instrument_has_the_four_simulated_client_dimensions() -> None:
    instrument = BUILTIN[DEFAULT_INSTRUMENT]
    assert instrument.dimension_keys == ("clarity", "empathy", "warmth", "strengths")
    assert list(instrument.points) == [1, 2, 3, 4, 5]


def test_seven_skills_instrument_has_the_seven_skills() -> None:
    keys = set(BUILTIN["seven-skills"].dimension_keys)
    expected = {"empathy", "collaboration", "autonomy", "evocation", "purposefulness"}
    assert keys == expected | {"child-focus", "clarity"}


@pytest.mark.parametrize(("instrument", "dimension"), ALL_DIMENSIONS)
def test_every_dimension_has_an_anchor_for_every_point(instrument: Instrument, dimension) -> None:
    assert list(dimension.anchors) == list(instrument.points)
    assert all(text.strip() for text in dimension.anchors.values())


@pytest.mark.parametrize(("instrument", "dimension"), ALL_DIMENSIONS)
def test_adjacent_anchors_differ(instrument: Instrument, dimension) -> None:
    for low, high in zip(instrument.points, instrument.points[1:], strict=False):
        assert dimension.anchors[low] != dimension.anchors[high]


@pytest.mark.parametrize(("instrument", "dimension"), ALL_DIMENSIONS)
def test_anchors_are_one_to_three_sentences(instrument: Instrument, dimension) -> None:
    for score, text in dimension.anchors.items():
        unquoted = re.sub(r"\([^)]*\)", "", text)
        sentences = re.findall(r"[.!?](?:\s|$)", unquoted)
        assert 1 <= len(sentences) <= 3, (instrument.slug, dimension.key, score)


@pytest.mark.parametrize("instrument", BUILTIN.values(), ids=list(BUILTIN))
def test_builtin_instruments_round_trip_through_to_dict(instrument: Instrument) -> None:
    assert parse_instrument(instrument.to_dict()) == instrument


def test_to_dict_round_trips_through_json() -> None:
    instrument = BUILTIN[DEFAULT_INSTRUMENT]
    assert parse_instrument(json.loads(json.dumps(instrument.to_dict()))) == instrument


def test_load_instrument_reads_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(
        "slug: demo\nversion: 2\ntitle: Demo\ndescription: >\n  Two\n  lines.\n"
        "dimensions:\n  - key: warmth\n    label: Warmth\n    description: Tone.\n"
        "    anchors: {1: a, 2: b, 3: c, 4: d, 5: e}\n",
        encoding="utf-8",
    )
    instrument = load_instrument(path)
    assert (instrument.version, instrument.description) == (2, "Two lines.")
    assert (instrument.scale_min, instrument.scale_max) == (1, 5)


def test_load_instrument_reports_invalid_yaml_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^broken\.yaml: not valid YAML"):
        load_instrument(path)


def drop(field: str):
    def mutate(doc: dict[str, Any]) -> None:
        del doc[field]

    return mutate


def setter(path: str, value: object):
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list) or (last.isdigit() and int(last) in target):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def drop_anchor(index: int, score: int):
    def mutate(doc: dict[str, Any]) -> None:
        del doc["dimensions"][index]["anchors"][score]

    return mutate


INVALID_DOCUMENTS = [
    (drop("slug"), "slug: missing required field"),
    (drop("dimensions"), "dimensions: missing required field"),
    (setter("extra", 1), ": unknown field 'extra'"),
    (setter("slug", "Demo Instrument"), "slug: 'Demo Instrument' does not match"),
    (setter("slug", "demo-"), "slug: 'demo-' does not match"),
    (setter("version", 0), "version: must be at least 1, got 0"),
    (setter("version", "1"), "version: must be an integer, got str"),
    (setter("version", True), "version: must be an integer, got bool"),
    (setter("title", "   "), "title: must not be empty"),
    (setter("description", None), "description: must be a string, got NoneType"),
    (setter("scale", {"min": 5, "max": 5}), "scale: min (5) must be less than max (5)"),
    (setter("scale", {"min": 1, "max": 4.5}), "scale.max: must be an integer, got float"),
    (setter("scale", {"lo": 1}), "scale: unknown field 'lo'"),
    (setter("dimensions", []), "dimensions: must be a non-empty list"),
    (setter("dimensions/1", "empathy"), "dimensions[1]: must be a mapping, got str"),
    (setter("dimensions/1/key", "warmth"), "dimensions[1].key: duplicate key 'warmth'"),
    (setter("dimensions/2/key", "Child_Focus"), "dimensions[2].key: 'Child_Focus' does not"),
    (setter("dimensions/0/colour", "red"), "dimensions[0]: unknown field 'colour'"),
    (drop_anchor(2, 4), "dimensions[2].anchors: missing anchor for score 4"),
    (setter("dimensions/0/anchors/6", "Too high."), "outside the scale 1..5"),
    (setter("dimensions/0/anchors/3", ""), "dimensions[0].anchors[3]: must not be empty"),
    (setter("dimensions/1/anchors/2", "empathy level 1."), "scores 1 and 2 are identical"),
    (setter("dimensions/1/anchors/x", "Odd."), "dimensions[1].anchors: score 'x' is not"),
    (setter("dimensions/0/anchors", ["a"] * 5), "dimensions[0].anchors: must be a mapping"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), INVALID_DOCUMENTS, ids=[m for _, m in INVALID_DOCUMENTS]
)
def test_invalid_documents_give_a_precise_message(mutate, message: str) -> None:
    document = make_document()
    mutate(document)
    with pytest.raises(ValueError, match=r"^seven-skills\.yaml: ") as info:
        parse_instrument(document, source="seven-skills.yaml")
    assert message in str(info.value)


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^x\.yaml: must be a mapping, got list$"):
        parse_instrument([], source="x.yaml")  # type: ignore[arg-type]


def test_anchor_keys_may_be_digit_strings() -> None:
    document = make_document()
    document["dimensions"][0]["anchors"] = {str(s): f"Level {s}." for s in range(1, 6)}
    assert parse_instrument(document).dimensions[0].anchors[5] == "Level 5."


def test_scale_defaults_to_one_to_five() -> None:
    document = make_document()
    del document["scale"]
    instrument = parse_instrument(document)
    assert (instrument.scale_min, instrument.scale_max) == (1, 5)


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"min": 1, "max": 7}, "dimensions[0].anchors: missing anchor for score 6"),
        (
            {"min": 0, "max": 4},
            "dimensions[0].anchors: anchor for score 5 is outside the scale 0..4",
        ),
    ],
)
def test_anchors_must_match_the_declared_scale(scale: dict[str, int], message: str) -> None:
    document = {**make_document(), "scale": scale}
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_instrument(document)


def test_fingerprint_is_stable_across_loads_and_versions() -> None:
    instrument = BUILTIN[DEFAULT_INSTRUMENT]
    again = load_builtin_instruments()[DEFAULT_INSTRUMENT]
    bumped = parse_instrument({**instrument.to_dict(), "version": 9})
    assert instrument_fingerprint(instrument) == instrument_fingerprint(again)
    assert instrument_fingerprint(instrument) == instrument_fingerprint(bumped)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", instrument_fingerprint(instrument))


def test_fingerprint_ignores_rewrapping_of_texts() -> None:
    document = make_document()
    rewrapped = copy.deepcopy(document)
    rewrapped["dimensions"][0]["anchors"][2] = "warmth   level\n 2.\n"
    assert instrument_fingerprint(parse_instrument(document)) == instrument_fingerprint(
        parse_instrument(rewrapped)
    )


@pytest.mark.parametrize(
    "edit",
    [
        setter("dimensions/0/anchors/3", "A different anchor."),
        setter("dimensions/1/label", "Accurate empathy"),
        setter("dimensions/2/description", "Something else."),
        setter("title", "Renamed"),
        setter("slug", "demo-two"),
    ],
)
def test_fingerprint_changes_when_content_changes(edit) -> None:
    document = make_document()
    edited = copy.deepcopy(document)
    edit(edited)
    before = instrument_fingerprint(parse_instrument(document))
    assert instrument_fingerprint(parse_instrument(edited)) != before


def test_fingerprint_changes_when_a_builtin_anchor_changes() -> None:
    document = BUILTIN["seven-skills"].to_dict()
    original = instrument_fingerprint(parse_instrument(document))
    document["dimensions"][6]["anchors"][4] += " Also checks understanding."
    assert instrument_fingerprint(parse_instrument(document)) != original


@pytest.mark.parametrize("score", [1, 5, 3.0, np.int64(4)])
def test_validate_score_accepts_whole_points_on_the_scale(score: object) -> None:
    assert validate_score(BUILTIN[DEFAULT_INSTRUMENT], "warmth", score) == int(score)


@pytest.mark.parametrize(
    ("key", "score", "error", "message"),
    [
        ("warmth", 0, ValueError, "simulated-client.warmth: score 0 is outside the scale 1..5"),
        ("warmth", 6, ValueError, "score 6 is outside the scale 1..5"),
        ("warmth", 2.5, ValueError, "score must be a whole number, got 2.5"),
        ("warmth", "3", TypeError, "score must be a number, got str"),
        ("warmth", True, TypeError, "score must be a number, got bool"),
        ("kindness", 3, ValueError, "unknown dimension 'kindness'"),
    ],
)
def test_validate_score_rejects_bad_scores(key: str, score: object, error, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        validate_score(BUILTIN[DEFAULT_INSTRUMENT], key, score)


def test_instruments_are_immutable() -> None:
    instrument = BUILTIN[DEFAULT_INSTRUMENT]
    with pytest.raises(AttributeError):
        instrument.version = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        instrument.dimensions[0].anchors[1] = "changed"  # type: ignore[index]


def test_instruments_survive_pickling_and_deep_copies() -> None:
    instrument = BUILTIN["seven-skills"]
    assert pickle.loads(pickle.dumps(instrument)) == instrument
    assert copy.deepcopy(instrument) == instrument
