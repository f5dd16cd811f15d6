"""Reading vignette files and checking them against ``vignettes/schema.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "vignettes" / "schema.json"
VIGNETTE_SUFFIXES = (".yaml", ".yml")
DEFAULT_TARGET_MINUTES = 30


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one vignette document."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.message}"


@cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def check_document(document: Any, source: str) -> list[Problem]:
    """Every schema violation in ``document``, each naming its field."""
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [Problem(source, _field_name(error), _message(error)) for error in errors]


def _field_name(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return ".".join(filter(None, [path, missing])) or "(document)"
    if error.validator == "additionalProperties" and not path:
        return "(document)"
    return path or "(document)"


def _message(error: jsonschema.ValidationError) -> str:
    limit = error.validator_value
    kind = str(error.validator)
    if kind == "required":
        return "is required but missing"
    if kind == "type":
        return f"must be of type {limit}, not {type(error.instance).__name__}"
    if kind == "enum":
        return "must be one of " + ", ".join(map(str, limit))
    templates = {
        "minLength": "is too short (at least {} characters)",
        "maxLength": "is too long (at most {} characters)",
        "minItems": "needs at least {} item(s)",
        "minimum": "must be at least {}",
        "maximum": "must be at most {}",
        "pattern": "must be lowercase words joined by hyphens, e.g. 'home-visit'",
    }
    template = templates.get(kind)
    return template.format(limit) if template else error.message


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """Parse one YAML file and check it; problems name the file, field and fault."""
    source = path.name
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(source, "(file)", "is not UTF-8 text")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        return None, [
            Problem(source, where, f"is not valid YAML ({getattr(error, 'problem', error)})")
        ]
    if not isinstance(document, dict):
        return None, [Problem(source, "(document)", "must be a mapping of field names to values")]
    problems = check_document(document, source)
    slug = document.get("slug")
    if isinstance(slug, str) and path.stem != slug:
        problems.append(Problem(source, "slug", f"is {slug!r} but the file is named {path.name!r}"))
    return document, problems


def find_vignette_files(path: Path) -> list[Path]:
    """The vignette files at ``path`` (a file, or every YAML file in a folder)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in VIGNETTE_SUFFIXES and p.is_file())
    return []


def with_defaults(document: dict[str, Any]) -> dict[str, Any]:
    """Fill optional fields so stored versions are complete and hash the same."""
    filled = dict(document)
    filled.setdefault("target_minutes", DEFAULT_TARGET_MINUTES)
    filled.setdefault("tags", [])
    filled.setdefault("content_note", None)
    filled.setdefault("parallel_group", None)
    filled.setdefault("companion_forms", True)
    return filled
