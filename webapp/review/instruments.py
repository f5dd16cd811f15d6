"""Instruments as stored versions: the ``rating/instruments`` files, and admin-made ones.

A version row is never edited once written (apart from being retired), so the ratings made
with it keep the exact anchors the rater saw; a changed definition becomes a new version.
Callers commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
import yaml

from rating.instruments import (
    DEFAULT_INSTRUMENT,
    Instrument,
    instrument_fingerprint,
    load_builtin_instruments,
    parse_instrument,
)
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, InstrumentVersion, User
from webapp.orm import utcnow

MAX_DEFINITION_CHARS = 100_000


def ensure_instruments() -> list[InstrumentVersion]:
    """Store every built-in instrument whose content is not stored yet, as a new version.

    A file whose content matches an older stored version is left alone, so a version an
    administrator added later for the same slug is not overtaken by the shipped file.
    """
    created = []
    for instrument in load_builtin_instruments().values():
        if not _is_stored(instrument):
            version = store_instrument(instrument)
            if version is not None:
                created.append(version)
    return created


def _is_stored(instrument: Instrument) -> bool:
    query = sa.select(InstrumentVersion.id).where(
        InstrumentVersion.slug == instrument.slug,
        InstrumentVersion.fingerprint == instrument_fingerprint(instrument),
    )
    return db.session.scalar(query.limit(1)) is not None


def store_instrument(instrument: Instrument, *, by: User | None = None) -> InstrumentVersion | None:
    """Add ``instrument`` as a new version of its slug; None when the latest is identical."""
    fingerprint = instrument_fingerprint(instrument)
    latest = get_latest_version(instrument.slug)
    if latest is not None and latest.fingerprint == fingerprint:
        return None
    number = latest.version + 1 if latest is not None else 1
    definition = {**instrument.to_dict(), "version": number}
    row = InstrumentVersion(
        slug=instrument.slug,
        version=number,
        title=instrument.title,
        definition=_json_ready(definition),
        fingerprint=fingerprint,
        is_default=instrument.slug == DEFAULT_INSTRUMENT,
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        AuditAction.INSTRUMENT_VERSIONED,
        obj=row,
        actor=by,
        detail={"slug": row.slug, "version": number},
    )
    return row


def _json_ready(definition: Mapping[str, Any]) -> dict[str, Any]:
    # Anchor keys become strings in JSON; parse_instrument reads digit strings back.
    dimensions = [
        {**d, "anchors": {str(k): v for k, v in d["anchors"].items()}}
        for d in definition["dimensions"]
    ]
    return {**definition, "dimensions": dimensions}


def get_latest_version(slug: str) -> InstrumentVersion | None:
    query = sa.select(InstrumentVersion).where(InstrumentVersion.slug == slug)
    return db.session.scalar(query.order_by(InstrumentVersion.version.desc()).limit(1))


def get_rating_instrument() -> InstrumentVersion:
    """The version new rating tasks use: the newest unretired default instrument."""
    ensure_instruments()
    query = sa.select(InstrumentVersion).where(
        InstrumentVersion.is_default, InstrumentVersion.retired_at.is_(None)
    )
    version = db.session.scalar(query.order_by(InstrumentVersion.version.desc()).limit(1))
    if version is None:
        raise Conflict(f"Every version of the {DEFAULT_INSTRUMENT!r} instrument is retired.")
    return version


def instrument_of(version: InstrumentVersion) -> Instrument:
    """The validated instrument a stored version holds."""
    return parse_instrument(version.definition, source=f"{version.slug} v{version.version}")


def list_versions() -> list[InstrumentVersion]:
    query = sa.select(InstrumentVersion)
    return list(
        db.session.scalars(query.order_by(InstrumentVersion.slug, InstrumentVersion.version))
    )


def parse_definition(text: str) -> Instrument:
    """Validate a YAML definition typed by an administrator; InvalidInput says what is wrong."""
    if not text.strip():
        raise InvalidInput("Paste an instrument definition in YAML.")
    if len(text) > MAX_DEFINITION_CHARS:
        raise InvalidInput(f"The definition is longer than {MAX_DEFINITION_CHARS} characters.")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"definition: not valid YAML: {error}") from error
    if not isinstance(document, Mapping):
        raise InvalidInput("definition: must be a YAML mapping with slug, title, dimensions…")
    try:
        return parse_instrument(document, source="definition")
    except (TypeError, ValueError) as error:
        raise InvalidInput(str(error)) from error


def add_instrument_version(text: str, by: User) -> InstrumentVersion:
    """Store an administrator's definition as the next version of its slug."""
    instrument = parse_definition(text)
    row = store_instrument(instrument, by=by)
    if row is None:
        latest = get_latest_version(instrument.slug)
        number = latest.version if latest else "?"
        raise Conflict(
            f"{instrument.slug}: identical to the stored version {number}; nothing was stored."
        )
    return row


def retire_version(version_id: int, by: User) -> InstrumentVersion:
    """Stop new ratings against a version; its existing ratings stay as they are."""
    version = db.session.get(InstrumentVersion, version_id)
    if version is None:
        raise NotFound("There is no such instrument version.")
    if version.retired_at is None:
        version.retired_at = utcnow()
        record_event(
            AuditAction.INSTRUMENT_RETIRED,
            obj=version,
            actor=by,
            detail={"slug": version.slug, "version": version.version},
        )
    return version
