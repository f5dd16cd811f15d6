"""Rating instruments (dimensions with behaviourally anchored scales) as versioned data.

An instrument is a small set of dimensions, each scored once for a whole interview on an
integer scale where a higher score is always better.  Every point of every dimension has an
anchor: one to three sentences describing what the worker says or does at that level, so that
two raters listening to the same recording reach the same score.  Instruments live in YAML
files (the built-in ones in ``rating/instruments/``) and are loaded into frozen dataclasses.

YAML format
-----------
::

    slug: simulated-client          # stable identifier, pattern ^[a-z0-9]+(-[a-z0-9]+)*$
    version: 1                      # integer >= 1; raise it whenever the fingerprint changes
    title: Simulated-client interview skills
    description: >                  # purpose, unit of rating, provenance of the anchors
      ...
    scale:                          # optional; defaults to min 1, max 5; higher is better
      min: 1
      max: 5
    dimensions:                     # one or more, keys unique within the instrument
      - key: clarity                # same pattern as the slug; stored with every score
        label: Clarity about concerns
        description: What the dimension measures and what it does not.
        anchors:                    # exactly one text for every integer point min..max
          1: What the worker does at the lowest level.
          2: ...
          5: What the worker does at the highest level.

Rules enforced by :func:`parse_instrument` (each violation raises ``ValueError`` naming the
source, the field path and the problem, e.g. ``"seven-skills.yaml: dimensions[2].anchors:
missing anchor for score 4"``):

- all fields above are required except ``scale``; unknown fields are rejected (typos);
- ``slug`` and every dimension ``key`` match the slug pattern; keys are unique;
- ``version`` is an integer >= 1; ``scale.min`` < ``scale.max``, both integers;
- ``anchors`` has exactly one entry per integer point (keys may be integers or digit strings,
  so a definition that went through JSON parses again) and no two anchors of a dimension
  are identical;
- texts are non-empty strings; runs of whitespace are collapsed to one space, so re-wrapping
  a YAML file changes neither the instrument nor its fingerprint.

Versioning
----------
Ratings record the instrument slug and version they were made with.  An edited definition
needs a new version when :func:`instrument_fingerprint` (a hash of everything except the
version number) differs from the fingerprint stored for the current version.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, SupportsIndex

import yaml

__all__ = [
    "DEFAULT_INSTRUMENT",
    "SLUG_PATTERN",
    "Dimension",
    "Instrument",
    "instrument_fingerprint",
    "load_builtin_instruments",
    "load_instrument",
    "parse_instrument",
    "validate_score",
]

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEFAULT_INSTRUMENT = "simulated-client"
_DEFAULT_SCALE = (1, 5)
_TOP_FIELDS = ("slug", "version", "title", "description", "dimensions")
_DIMENSION_FIELDS = ("key", "label", "description", "anchors")


@dataclass(frozen=True)
class Dimension:
    """One rated dimension of an instrument.

    Attributes
    ----------
    key : str
        Stable slug stored with every score (e.g. ``"clarity"``).
    label : str
        Short name shown to raters.
    description : str
        What the dimension measures.
    anchors : Mapping[int, str]
        Read-only map from every scale point to its behavioural anchor, in score order.
    """

    key: str
    label: str
    description: str
    anchors: Mapping[int, str] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", MappingProxyType(dict(self.anchors)))

    def __reduce__(self) -> tuple[type[Dimension], tuple[str, str, str, dict[int, str]]]:
        # A mappingproxy cannot be pickled or deep-copied; rebuild from a plain dict instead.
        return Dimension, (self.key, self.label, self.description, dict(self.anchors))


@dataclass(frozen=True)
class Instrument:
    """A versioned rating instrument: dimensions scored on one anchored integer scale.

    Build instances with :func:`parse_instrument` or :func:`load_instrument`, which validate;
    the constructor itself does not.

    Attributes
    ----------
    slug, version, title, description
        Identity and documentation, as in the YAML file.
    dimensions : tuple of Dimension
        In the order raters see them.
    scale_min, scale_max : int
        Inclusive bounds of the scale; higher is better.
    """

    slug: str
    version: int
    title: str
    description: str
    dimensions: tuple[Dimension, ...]
    scale_min: int = _DEFAULT_SCALE[0]
    scale_max: int = _DEFAULT_SCALE[1]

    @property
    def points(self) -> range:
        """Every valid score, lowest first."""
        return range(self.scale_min, self.scale_max + 1)

    @property
    def dimension_keys(self) -> tuple[str, ...]:
        """The dimension keys in display order."""
        return tuple(dimension.key for dimension in self.dimensions)

    def dimension(self, key: str) -> Dimension:
        """Return the dimension with ``key``; raise ``ValueError`` if there is none."""
        for dimension in self.dimensions:
            if dimension.key == key:
                return dimension
        known = ", ".join(self.dimension_keys)
        raise ValueError(f"{self.slug}: unknown dimension {key!r} (known: {known})")

    def to_dict(self) -> dict[str, Any]:
        """Return plain data that :func:`parse_instrument` turns back into an equal instrument."""
        return {
            "slug": self.slug,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "scale": {"min": self.scale_min, "max": self.scale_max},
            "dimensions": [_dimension_to_dict(dimension) for dimension in self.dimensions],
        }


def _dimension_to_dict(dimension: Dimension) -> dict[str, Any]:
    return {
        "key": dimension.key,
        "label": dimension.label,
        "description": dimension.description,
        "anchors": dict(dimension.anchors),
    }


def _error(source: str, path: str, problem: str) -> ValueError:
    return ValueError(f"{source}: {path}: {problem}" if path else f"{source}: {problem}")


def _mapping(value: object, source: str, path: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise _error(source, path, f"must be a mapping, got {type(value).__name__}")
    return value


def _check_fields(
    mapping: Mapping[Any, Any],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    source: str,
    path: str,
) -> None:
    for name in mapping:
        if name not in required + optional:
            raise _error(source, path, f"unknown field {name!r}")
    for name in required:
        if name not in mapping:
            raise _error(source, _join(path, name), "missing required field")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text(value: object, source: str, path: str) -> str:
    if not isinstance(value, str):
        raise _error(source, path, f"must be a string, got {type(value).__name__}")
    text = " ".join(value.split())
    if not text:
        raise _error(source, path, "must not be empty")
    return text


def _integer(value: object, source: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(source, path, f"must be an integer, got {type(value).__name__}")
    return value


def _slug(value: object, source: str, path: str) -> str:
    slug = _text(value, source, path)
    if not SLUG_PATTERN.fullmatch(slug):
        raise _error(source, path, f"{slug!r} does not match {SLUG_PATTERN.pattern}")
    return slug


def _parse_scale(value: object, source: str) -> tuple[int, int]:
    if value is None:
        return _DEFAULT_SCALE
    scale = _mapping(value, source, "scale")
    _check_fields(scale, (), ("min", "max"), source, "scale")
    low = _integer(scale.get("min", _DEFAULT_SCALE[0]), source, "scale.min")
    high = _integer(scale.get("max", _DEFAULT_SCALE[1]), source, "scale.max")
    if low >= high:
        raise _error(source, "scale", f"min ({low}) must be less than max ({high})")
    return low, high


def _anchor_score(key: object, source: str, path: str) -> int:
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        return int(key)
    if isinstance(key, bool) or not isinstance(key, int):
        raise _error(source, path, f"score {key!r} is not an integer")
    return key


def _parse_anchors(value: object, points: range, source: str, path: str) -> dict[int, str]:
    raw = _mapping(value, source, path)
    anchors: dict[int, str] = {}
    for key, text in raw.items():
        score = _anchor_score(key, source, path)
        if score in anchors:
            raise _error(source, path, f"more than one anchor for score {score}")
        if score not in points:
            bounds = f"{points.start}..{points.stop - 1}"
            raise _error(source, path, f"anchor for score {score} is outside the scale {bounds}")
        anchors[score] = _text(text, source, f"{path}[{score}]")
    for score in points:
        if score not in anchors:
            raise _error(source, path, f"missing anchor for score {score}")
    _check_distinct_anchors(anchors, points, source, path)
    return {score: anchors[score] for score in points}


def _check_distinct_anchors(
    anchors: Mapping[int, str], points: range, source: str, path: str
) -> None:
    first_score: dict[str, int] = {}
    for score in points:
        earlier = first_score.setdefault(anchors[score], score)
        if earlier != score:
            raise _error(source, path, f"anchors for scores {earlier} and {score} are identical")


def _parse_dimension(value: object, points: range, source: str, path: str) -> Dimension:
    raw = _mapping(value, source, path)
    _check_fields(raw, _DIMENSION_FIELDS, (), source, path)
    return Dimension(
        key=_slug(raw["key"], source, f"{path}.key"),
        label=_text(raw["label"], source, f"{path}.label"),
        description=_text(raw["description"], source, f"{path}.description"),
        anchors=_parse_anchors(raw["anchors"], points, source, f"{path}.anchors"),
    )


def _parse_dimensions(value: object, points: range, source: str) -> tuple[Dimension, ...]:
    if not isinstance(value, list) or not value:
        raise _error(source, "dimensions", "must be a non-empty list")
    dimensions: list[Dimension] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(value):
        dimension = _parse_dimension(item, points, source, f"dimensions[{index}]")
        earlier = first_index.setdefault(dimension.key, index)
        if earlier != index:
            problem = f"duplicate key {dimension.key!r} (also dimensions[{earlier}])"
            raise _error(source, f"dimensions[{index}].key", problem)
        dimensions.append(dimension)
    return tuple(dimensions)


def parse_instrument(mapping: Mapping[str, Any], *, source: str = "<instrument>") -> Instrument:
    """Validate a parsed instrument document and build an :class:`Instrument`.

    Parameters
    ----------
    mapping : Mapping
        The document, e.g. the result of ``yaml.safe_load`` or :meth:`Instrument.to_dict`.
    source : str, optional
        Name used at the start of every error message, usually the file name.

    Returns
    -------
    Instrument
        The validated instrument, texts whitespace-normalised.

    Raises
    ------
    ValueError
        If the document breaks a rule listed in the module docstring; the message reads
        ``"<source>: <field path>: <problem>"``.

    Examples
    --------
    >>> doc = {"slug": "demo", "version": 1, "title": "Demo", "description": "Try-out.",
    ...        "scale": {"min": 1, "max": 2},
    ...        "dimensions": [{"key": "warmth", "label": "Warmth", "description": "Tone.",
    ...                        "anchors": {1: "Cold.", 2: "Warm."}}]}
    >>> parse_instrument(doc).dimension("warmth").anchors[2]
    'Warm.'
    >>> parse_instrument({**doc, "version": 0}, source="demo.yaml")
    Traceback (most recent call last):
    ...
    ValueError: demo.yaml: version: must be at least 1, got 0
    """
    raw = _mapping(mapping, source, "")
    _check_fields(raw, _TOP_FIELDS, ("scale",), source, "")
    version = _integer(raw["version"], source, "version")
    if version < 1:
        raise _error(source, "version", f"must be at least 1, got {version}")
    low, high = _parse_scale(raw.get("scale"), source)
    return Instrument(
        slug=_slug(raw["slug"], source, "slug"),
        version=version,
        title=_text(raw["title"], source, "title"),
        description=_text(raw["description"], source, "description"),
        dimensions=_parse_dimensions(raw["dimensions"], range(low, high + 1), source),
        scale_min=low,
        scale_max=high,
    )


def _parse_yaml(text: str, source: str) -> Instrument:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from exc
    return parse_instrument(_mapping(document, source, ""), source=source)


def load_instrument(path: str | os.PathLike[str]) -> Instrument:
    """Read and validate one instrument YAML file.

    Parameters
    ----------
    path : str or path-like
        The YAML file; its name (not the full path) prefixes error messages.

    Returns
    -------
    Instrument

    Raises
    ------
    ValueError
        If the file is not valid YAML or breaks a rule of the format.
    OSError
        If the file cannot be read.
    """
    file = Path(path)
    return _parse_yaml(file.read_text(encoding="utf-8"), file.name)


def _builtin_files() -> Iterator[tuple[str, str]]:
    folder = resources.files("rating").joinpath("instruments")
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            yield entry.name, entry.read_text(encoding="utf-8")


def load_builtin_instruments() -> dict[str, Instrument]:
    """Load every instrument shipped in ``rating/instruments/``.

    Returns
    -------
    dict of str to Instrument
        Keyed by slug, in file-name order.  :data:`DEFAULT_INSTRUMENT` is always present.

    Raises
    ------
    ValueError
        If a file is invalid or its slug differs from its file name.
    """
    instruments: dict[str, Instrument] = {}
    for name, text in _builtin_files():
        instrument = _parse_yaml(text, name)
        if instrument.slug != name.removesuffix(".yaml"):
            raise _error(name, "slug", f"{instrument.slug!r} does not match the file name")
        instruments[instrument.slug] = instrument
    return instruments


def instrument_fingerprint(instrument: Instrument) -> str:
    """Return a stable hash of an instrument's content, ignoring its version number.

    The hash covers the slug, title, description, scale and every dimension field and
    anchor (after whitespace normalisation), serialised as canonical JSON.  Store it with
    each version: if an edited definition hashes differently, it needs a new version.

    Parameters
    ----------
    instrument : Instrument

    Returns
    -------
    str
        ``"sha256:"`` followed by 64 hexadecimal digits.

    Examples
    --------
    >>> doc = {"slug": "demo", "version": 1, "title": "Demo", "description": "Try-out.",
    ...        "scale": {"min": 1, "max": 2},
    ...        "dimensions": [{"key": "warmth", "label": "Warmth", "description": "Tone.",
    ...                        "anchors": {1: "Cold.", 2: "Warm."}}]}
    >>> a = instrument_fingerprint(parse_instrument(doc))
    >>> a == instrument_fingerprint(parse_instrument({**doc, "version": 7}))
    True
    """
    content = instrument.to_dict()
    del content["version"]
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def validate_score(instrument: Instrument, dimension_key: str, score: object) -> int:
    """Check that ``score`` is a valid score for one dimension and return it as ``int``.

    Parameters
    ----------
    instrument : Instrument
    dimension_key : str
        Key of the dimension being scored.
    score : object
        The submitted value.  Integers (including NumPy integers) and integral floats such
        as ``4.0`` are accepted; half points are not.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``score`` is not a number (booleans and strings are refused).
    ValueError
        If the dimension is unknown, the score is not whole or lies outside the scale.
    """
    instrument.dimension(dimension_key)
    value = _whole_number(score, f"{instrument.slug}.{dimension_key}")
    if value not in instrument.points:
        bounds = f"{instrument.scale_min}..{instrument.scale_max}"
        raise ValueError(
            f"{instrument.slug}.{dimension_key}: score {value} is outside the scale {bounds}"
        )
    return value


def _whole_number(score: object, where: str) -> int:
    if isinstance(score, float):
        if not score.is_integer():
            raise ValueError(f"{where}: score must be a whole number, got {score}")
        return int(score)
    if isinstance(score, bool) or not isinstance(score, SupportsIndex):
        raise TypeError(f"{where}: score must be a number, got {type(score).__name__}")
    return operator.index(score)
