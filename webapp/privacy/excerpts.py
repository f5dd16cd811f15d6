"""Audio excerpts of exemplars, cut from the recording's playback copy.

    DATA_DIR/recordings/<storage_key>/exemplars/<audio_key>.ogg

``audio_key`` is made by the server (random hex), never taken from a request.  The
excerpts live inside the recording's folder, so whatever removes that folder (the
retention purge, deleting the recording, erasing the trainee) removes them too; removing
an exemplar (consent withdrawn or narrowed, retention) deletes its file once the
transaction commits.  A recording without a playback copy (the text-only synthetic
archive) gives a text-only exemplar.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from webapp import audio
from webapp.errors import InvalidInput
from webapp.models import Exemplar, Recording
from webapp.practice import storage
from webapp.privacy.files import remove_after_commit, remove_on_rollback

EXCERPT_FOLDER = "exemplars"


def excerpt_path(recording: Recording, audio_key: str) -> Path:
    return storage.recording_dir(recording) / EXCERPT_FOLDER / f"{audio_key}.ogg"


def cut_exemplar_audio(recording: Recording, start: float, end: float) -> str | None:
    """Cut ``start``..``end`` of the playback copy; returns the new key (None: no audio).

    422 when the audio cannot give the excerpt, so tagging stays all-or-nothing.
    """
    source = storage.playback_path(recording)
    if not source.is_file():
        return None
    key = uuid.uuid4().hex
    path = excerpt_path(recording, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        audio.cut_excerpt(source, start, end, path)
    except audio.EmptyAudio:
        raise InvalidInput("The recording's audio has nothing between these times.") from None
    except (audio.AudioError, ValueError, OSError) as error:
        raise InvalidInput(f"The excerpt could not be cut from the audio: {error}") from None
    remove_on_rollback(path)
    return key


def exemplar_audio_file(recording: Recording, exemplar: Exemplar) -> Path | None:
    """The excerpt's file, when the exemplar has one and it is still on disk."""
    if exemplar.audio_key is None or recording.purged_at is not None:
        return None
    path = excerpt_path(recording, exemplar.audio_key)
    return path if path.is_file() else None


def drop_exemplar_audio(recording: Recording, exemplar: Exemplar) -> None:
    """Delete the excerpt's file when the transaction removing its exemplar commits."""
    if exemplar.audio_key is not None:
        remove_after_commit(excerpt_path(recording, exemplar.audio_key))
