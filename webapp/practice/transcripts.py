"""Transcript versions: storing the recogniser's result and applying corrections.

Every correction (switch a segment's speaker, split a segment, merge two) copies the
latest version into a new one with the change applied.  Version 1, the recogniser's
own output, is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput
from webapp.extensions import db
from webapp.models import AuditAction, Recording, Segment, Speaker, Transcript, User

SPEAKERS = {str(speaker) for speaker in Speaker}
SWAPPED = {"worker": "client", "client": "worker"}


def store_recognised(recording: Recording, result: Any) -> Transcript:
    """Save a ``webapp.transcription.Transcript`` as version 1 (words go to their segment)."""
    words = [(w.start, w.end, w.word, round(w.probability, 3)) for w in result.words]
    transcript = Transcript(
        recording=recording, version=1, model=result.model, language=result.language
    )
    for position, seg in enumerate(result.segments):
        inside = [list(w) for w in words if seg.start - 0.01 <= w[0] < seg.end + 0.01]
        transcript.segments.append(
            Segment(
                position=position,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                speaker=seg.speaker,
                avg_logprob=seg.avg_logprob,
                no_speech_prob=seg.no_speech_prob,
                words=inside,
            )
        )
    db.session.add(transcript)
    record_event(AuditAction.TRANSCRIPT_CREATED, obj=recording, detail={"model": result.model})
    return transcript


def segment_dict(segment: Segment) -> dict[str, Any]:
    return {
        "position": segment.position,
        "start": round(segment.start, 2),
        "end": round(segment.end, 2),
        "text": segment.text,
        "speaker": segment.speaker,
    }


def talk_time(segments: Sequence[Segment]) -> dict[str, float]:
    """Seconds of speech per speaker, from segment timings."""
    totals = {"worker": 0.0, "client": 0.0, "unknown": 0.0}
    for segment in segments:
        key = segment.speaker if segment.speaker in SPEAKERS else "unknown"
        totals[key] += max(segment.end - segment.start, 0.0)
    return {key: round(value, 1) for key, value in totals.items()}


def transcript_payload(recording: Recording) -> dict[str, Any]:
    """The transcript JSON the viewer (and the trainee's export) reads."""
    transcript = recording.latest_transcript
    if transcript is None:
        return {"version": 0, "versions": [], "segments": [], "talk_time": talk_time([])}
    return {
        "version": transcript.version,
        "versions": [t.version for t in recording.transcripts],
        "model": transcript.model,
        "segments": [segment_dict(s) for s in transcript.segments],
        "talk_time": talk_time(transcript.segments),
    }


def edit_transcript(
    recording: Recording, base_version: int, operation: dict[str, Any], user: User
) -> Transcript:
    """Apply one correction to the latest version, producing a new version."""
    latest = recording.latest_transcript
    if latest is None:
        raise Conflict("This recording has no transcript yet.")
    if base_version != latest.version:
        raise Conflict(f"The transcript changed meanwhile (now version {latest.version}). Reload.")
    rows = [_copy_fields(segment) for segment in latest.segments]
    rows = _apply(rows, operation)
    new = Transcript(
        recording=recording,
        version=latest.version + 1,
        model=latest.model,
        language=latest.language,
        created_by_id=user.id,
    )
    new.segments = [Segment(position=i, **row) for i, row in enumerate(rows)]
    db.session.add(new)
    record_event(
        AuditAction.TRANSCRIPT_EDITED,
        obj=recording,
        detail={"op": operation.get("op"), "version": new.version},
    )
    return new


def _copy_fields(segment: Segment) -> dict[str, Any]:
    return {
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "speaker": segment.speaker,
        "avg_logprob": segment.avg_logprob,
        "no_speech_prob": segment.no_speech_prob,
        "words": [list(w) for w in segment.words or []],
    }


def _apply(rows: list[dict[str, Any]], operation: dict[str, Any]) -> list[dict[str, Any]]:
    op = operation.get("op")
    position = operation.get("position", 0)
    if not isinstance(position, int) or not 0 <= position < len(rows):
        raise InvalidInput("That segment does not exist.")
    if op == "swap":
        return [{**row, "speaker": SWAPPED.get(row["speaker"], row["speaker"])} for row in rows]
    if op == "speaker":
        return _set_speaker(rows, position, operation.get("speaker"))
    if op == "split":
        return _split(rows, position, operation.get("at"))
    if op == "merge":
        return _merge(rows, position)
    raise InvalidInput("Unknown correction; use speaker, swap, split or merge.")


def _set_speaker(rows: list[dict[str, Any]], position: int, speaker: Any) -> list[dict[str, Any]]:
    if speaker not in SPEAKERS:
        raise InvalidInput("The speaker must be 'worker' or 'client'.")
    rows[position]["speaker"] = speaker
    return rows


def _split(rows: list[dict[str, Any]], position: int, at: Any) -> list[dict[str, Any]]:
    row = rows[position]
    if not isinstance(at, int | float) or not row["start"] < at < row["end"]:
        raise InvalidInput("Split at a time inside the segment.")
    before = [w for w in row["words"] if w[0] < at]
    after = [w for w in row["words"] if w[0] >= at]
    if row["words"] and (not before or not after):
        raise InvalidInput("There are no words on one side of that point; split elsewhere.")
    first = {**row, "end": float(at), "words": before, "text": _join(before, row["text"], 0)}
    second = {**row, "start": float(at), "words": after, "text": _join(after, row["text"], 1)}
    return [*rows[:position], first, second, *rows[position + 1 :]]


def _join(words: list[Any], fallback: str, half: int) -> str:
    if words:
        return " ".join(str(w[2]) for w in words).strip()
    middle = len(fallback) // 2  # no word timings: split the text in the middle
    return (fallback[:middle] if half == 0 else fallback[middle:]).strip()


def _merge(rows: list[dict[str, Any]], position: int) -> list[dict[str, Any]]:
    if position + 1 >= len(rows):
        raise InvalidInput("The last segment has nothing after it to merge with.")
    first, second = rows[position], rows[position + 1]
    merged = {
        **first,
        "end": second["end"],
        "text": f"{first['text']} {second['text']}".strip(),
        "words": first["words"] + second["words"],
        "speaker": first["speaker"]
        if first["speaker"] == second["speaker"]
        else first["speaker"] or second["speaker"],
    }
    return [*rows[:position], merged, *rows[position + 2 :]]
