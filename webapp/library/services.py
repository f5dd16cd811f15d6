"""Vignette import, versioning and retirement.  Functions flush; callers commit."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.library.schema import (
    Problem,
    check_document,
    find_vignette_files,
    read_document,
    with_defaults,
)
from webapp.models import AuditAction, Role, User, Vignette, VignetteVersion
from webapp.orm import utcnow

# Fields of a vignette document stored on each version (everything but the slug).
CONTENT_FIELDS = (
    "title", "summary", "trainee_brief", "actor_brief", "actor_directive",
    "presenting_concerns", "strengths", "legal_status", "target_minutes", "difficulty",
    "parallel_group", "tags", "content_note", "companion_forms",
)  # fmt: skip


class VignetteProblems(DomainError):
    """One or more vignette documents are invalid; nothing was stored."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s); nothing was imported:\n{lines}")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    versioned: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def content_hash(document: dict[str, Any]) -> str:
    content = {name: document.get(name) for name in CONTENT_FIELDS}
    # Fields added later count only when they differ from their default, so versions
    # stored before the field existed keep their hash and are not re-versioned.
    if content.get("companion_forms", True) is True:
        content.pop("companion_forms", None)
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def import_vignettes(path: Path, *, user: User | None = None) -> ImportReport:
    """Validate every file first, then store them all; any problem stores nothing."""
    files = find_vignette_files(path)
    if not files:
        raise VignetteProblems([Problem(str(path), "(path)", "has no .yaml vignette files")])
    documents, problems = [], []
    for file in files:
        document, found = read_document(file)
        problems.extend(found)
        documents.append((file, document))
    problems.extend(_duplicate_slugs(documents))
    if problems:
        raise VignetteProblems(problems)
    report = ImportReport()
    for file, document in documents:
        outcome = save_document(document, source=f"file:{file.name}", user=user)
        getattr(report, outcome).append(document["slug"])
    return report


def _duplicate_slugs(documents: list[tuple[Path, Any]]) -> list[Problem]:
    slugs = Counter(doc["slug"] for _, doc in documents if isinstance(doc, dict) and "slug" in doc)
    return [
        Problem(file.name, "slug", f"{doc['slug']!r} is used by more than one file")
        for file, doc in documents
        if isinstance(doc, dict) and slugs.get(doc.get("slug"), 0) > 1
    ]


def save_document(document: dict[str, Any], *, source: str, user: User | None = None) -> str:
    """Store a valid document: 'created', 'versioned' or 'unchanged'."""
    document = with_defaults(document)
    vignette = get_vignette(document["slug"], missing_ok=True)
    digest = content_hash(document)
    if vignette is None:
        vignette = Vignette(slug=document["slug"])
        db.session.add(vignette)
        outcome, action = "created", AuditAction.VIGNETTE_IMPORTED
    elif vignette.current.content_hash == digest:
        return "unchanged"
    else:
        outcome, action = "versioned", AuditAction.VIGNETTE_VERSIONED
    version = _new_version(vignette, document, digest, source, user)
    db.session.flush()
    record_event(
        action, obj=vignette, actor=user, detail={"version": version.number, "source": source}
    )
    return outcome


def _new_version(
    vignette: Vignette, document: dict[str, Any], digest: str, source: str, user: User | None
) -> VignetteVersion:
    number = vignette.versions[-1].number + 1 if vignette.versions else 1
    version = VignetteVersion(
        number=number,
        content_hash=digest,
        source=source,
        created_by_id=user.id if user else None,
        **{name: document.get(name) for name in CONTENT_FIELDS},
    )
    vignette.versions.append(version)
    return version


def save_edited_vignette(document: dict[str, Any], *, user: User) -> tuple[Vignette, str]:
    """Validate a document written in the web form and store it as a new version."""
    problems = check_document(document, "form")
    if problems:
        raise VignetteProblems(problems)
    outcome = save_document(document, source="web", user=user)
    vignette = get_vignette(document["slug"])
    return vignette, outcome


def get_vignette(slug: str, *, missing_ok: bool = False) -> Vignette:
    vignette = db.session.scalar(sa.select(Vignette).where(Vignette.slug == slug))
    if vignette is None and not missing_ok:
        raise NotFound(f"There is no vignette {slug!r}.")
    return vignette  # type: ignore[return-value]


def list_vignettes(*, include_retired: bool) -> list[Vignette]:
    query = sa.select(Vignette).order_by(Vignette.slug)
    if not include_retired:
        query = query.where(Vignette.retired_at.is_(None))
    vignettes = list(db.session.scalars(query))
    return sorted(vignettes, key=lambda v: (v.is_retired, v.current.title.lower()))


def set_retired(vignette: Vignette, retired: bool, *, user: User) -> None:
    """Retire a vignette (no new sessions use it) or bring it back."""
    if vignette.is_retired == retired:
        return
    vignette.retired_at = utcnow() if retired else None
    action = AuditAction.VIGNETTE_RETIRED if retired else AuditAction.VIGNETTE_RESTORED
    record_event(action, obj=vignette, actor=user)


def document_from_version(slug: str, version: VignetteVersion) -> dict[str, Any]:
    """The version as a vignette document (for the edit form and YAML export)."""
    return {"slug": slug} | {name: getattr(version, name) for name in CONTENT_FIELDS}


def can_read_actor_brief(roles: frozenset[Role]) -> bool:
    return bool(roles & {Role.ACTOR, Role.EDUCATOR, Role.ADMIN})


def can_edit(roles: frozenset[Role]) -> bool:
    return bool(roles & {Role.EDUCATOR, Role.ADMIN})
