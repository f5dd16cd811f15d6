"""How identifying every stored column is: the record of processing, kept next to the code.

* ``identifying``: names a person or may do so on its own (names, emails, IP addresses,
  free text a person wrote or said, speech timings and words);
* ``pseudonymous``: points at a person only through another table (user and recording
  ids, codes, a person's scores and timestamps);
* ``none``: says nothing about any person (instrument and vignette content, settings).

``tests/webapp/test_privacy_classification.py`` fails when a table or column in
``db.metadata`` is missing here, so every new column forces a decision.  The exports use
only ``none`` and ``pseudonymous`` columns unless an administrator asks for names.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    IDENTIFYING = "identifying"
    PSEUDONYMOUS = "pseudonymous"
    NONE = "none"


ID, P, N = Level.IDENTIFYING, Level.PSEUDONYMOUS, Level.NONE


def _table(levels: Level, *columns: str, **others: Level) -> dict[str, Level]:
    """``columns`` at ``levels``, plus ``others`` column by column."""
    return dict.fromkeys(columns, levels) | others


CLASSIFICATION: dict[str, dict[str, Level]] = {
    "users": _table(
        ID,
        "email",
        "name",
        id=P,
        password_hash=N,
        active=P,
        session_token=N,
        cohort_id=P,
        created_at=P,
        last_login_at=P,
    ),
    "user_roles": _table(P, "user_id", "role"),
    "cohorts": _table(N, "id", "name", "description", "created_at", "show_estimates_to_trainees"),
    "audit_events": _table(
        P, "id", "created_at", "actor_id", "action", "object_type", "object_id", ip=ID, detail=ID
    ),
    "recordings": _table(
        P,
        "id",
        "trainee_id",
        "vignette_version_id",
        "actor_id",
        "status",
        "source",
        "storage_key",
        "public_code",
        "original_format",
        "size_bytes",
        "duration_seconds",
        "created_at",
        "last_chunk_at",
        "finished_at",
        "retain_until",
        "purged_at",
        actor_name=ID,
        original_name=ID,
        error=P,
    ),
    "recording_chunks": _table(
        P, "id", "recording_id", "seq", "size_bytes", "sha256", "received_at"
    ),
    "transcripts": _table(
        P, "id", "recording_id", "version", "created_at", "created_by_id", model=N, language=P
    ),
    "transcript_segments": _table(
        P,
        "id",
        "transcript_id",
        "position",
        "start",
        "end",
        "speaker",
        "avg_logprob",
        "no_speech_prob",
        text=ID,
        words=ID,
    ),
    "assignments": _table(
        P,
        "id",
        "vignette_id",
        "trainee_id",
        "cohort_id",
        "time_point",
        "due_on",
        "created_by_id",
        "created_at",
        note=ID,
    ),
    "feedback_releases": _table(
        P, "id", "recording_id", "released_by_id", "released_at", message=ID
    ),
    "session_notes": _table(
        P,
        "id",
        "recording_id",
        "author_id",
        "kind",
        "is_shared",
        "created_at",
        "updated_at",
        text=ID,
    ),
    "exemplars": _table(
        P,
        "id",
        "recording_id",
        "start",
        "end",
        "dimension",
        "tagged_by_id",
        "created_at",
        "audio_key",  # a random file name; the excerpt itself is speech (deleted with it)
        title=ID,
        note=ID,
    ),
    "consents": _table(
        P,
        "id",
        "recording_id",
        "person_id",
        "person_role",
        "exemplar_use",
        "research_use",
        "classifier_training",
        "recorded_at",
        "withdrawn_at",
        "recorded_by_id",
        person_name=ID,  # an actor without an account, by name
    ),
    "instrument_versions": _table(
        N,
        "id",
        "slug",
        "version",
        "title",
        "definition",
        "fingerprint",
        "is_default",
        "created_at",
        "retired_at",
    ),
    "rating_tasks": _table(
        P,
        "id",
        "recording_id",
        "rater_id",
        "instrument_version_id",
        "role",
        "status",
        "sort_key",
        "created_at",
        "closed_at",
        recusal_reason=ID,
    ),
    "ratings": _table(
        P,
        "id",
        "task_id",
        "version",
        "status",
        "mode",
        "created_at",
        "submitted_at",
        change_reason=ID,
    ),
    "rating_scores": _table(P, "rating_id", "dimension", "score", note=ID),
    "evidence_marks": _table(
        P, "id", "rating_id", "dimension", "transcript_version", "segment_position"
    ),
    "final_scores": _table(
        P,
        "id",
        "recording_id",
        "instrument_version_id",
        "dimension",
        "score",
        "method",
        "decided_by_id",
        "created_at",
        note=ID,
    ),
    "gold_standards": _table(
        P,
        "id",
        "recording_id",
        "instrument_version_id",
        "scores",
        "set_by_id",
        "in_live_queue",
        "created_at",
    ),
    "companion_responses": _table(
        P, "id", "recording_id", "respondent_id", "kind", "created_at", answers=ID
    ),
    "jobs": _table(
        N,
        "id",
        "kind",
        "status",
        "progress",
        "attempts",
        "max_attempts",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "run_after",
        subject_id=P,
        error=P,
    ),
    "vignettes": _table(N, "id", "slug", "created_at", "retired_at"),
    "vignette_versions": _table(
        N,
        "id",
        "vignette_id",
        "number",
        "title",
        "summary",
        "trainee_brief",
        "actor_brief",
        "actor_directive",
        "presenting_concerns",
        "strengths",
        "legal_status",
        "target_minutes",
        "difficulty",
        "parallel_group",
        "tags",
        "content_note",
        "companion_forms",
        "content_hash",
        "source",
        "created_at",
        created_by_id=P,
    ),
}


def get_level(table: str, column: str) -> Level:
    """The classification of ``table.column``; KeyError when nobody decided yet."""
    return CLASSIFICATION[table][column]


def list_unclassified(tables: dict[str, list[str]]) -> list[str]:
    """``table.column`` names in ``tables`` that have no classification."""
    return [
        f"{table}.{column}"
        for table, columns in sorted(tables.items())
        for column in columns
        if column not in CLASSIFICATION.get(table, {})
    ]
