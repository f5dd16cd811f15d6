"""Serving audio without anything that could identify the person or the file."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_file


def send_audio(path: Path) -> Response:
    """Stream an audio file with range support and no name, path hint or caching."""
    response = send_file(path, mimetype="audio/ogg", conditional=True, etag=False, max_age=0)
    # send_file names the file for the browser; a rater must not learn anything from it.
    response.headers.pop("Content-Disposition", None)
    response.headers.pop("Last-Modified", None)
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    return response
