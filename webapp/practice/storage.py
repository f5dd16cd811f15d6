"""Where a recording's files live.  Every name is made by the server.

DATA_DIR/recordings/<storage_key>/
    chunks/000000.part …    browser chunks until the recording is finished
    original.<format>       what the trainee recorded or uploaded (never served to raters)
    playback.ogg            mono Opus, loudness-normalised, metadata stripped
    speech.wav              16 kHz mono PCM for the recogniser
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from flask import current_app

from webapp.models import Recording

PLAYBACK_NAME = "playback.ogg"
SPEECH_NAME = "speech.wav"


def new_storage_key() -> str:
    return uuid.uuid4().hex


def recordings_root() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "recordings"


def recording_dir(recording: Recording) -> Path:
    return recordings_root() / recording.storage_key


def chunk_dir(recording: Recording) -> Path:
    return recording_dir(recording) / "chunks"


def chunk_path(recording: Recording, seq: int) -> Path:
    return chunk_dir(recording) / f"{seq:06d}.part"


def original_path(recording: Recording) -> Path:
    return recording_dir(recording) / f"original.{recording.original_format or 'bin'}"


def playback_path(recording: Recording) -> Path:
    return recording_dir(recording) / PLAYBACK_NAME


def speech_path(recording: Recording) -> Path:
    return recording_dir(recording) / SPEECH_NAME


def upload_tmp_dir() -> Path:
    path = recordings_root() / ".incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def remove_recording_files(recording: Recording) -> None:
    shutil.rmtree(recording_dir(recording), ignore_errors=True)
