"""Structured logs: one JSON object per line, a request id, one line per request.

Plain ``logging`` with a JSON formatter (no extra dependency), switched on by
``LOG_JSON`` (default: on in production).  The request line carries method, path
(never the query string, which may hold emails or codes), status, duration and the
user's numeric id: no names, emails or form data.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only when it is short and harmless in a log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
HANDLER_NAME = "simclient-json"
request_log = logging.getLogger("webapp.request")

# Attributes every LogRecord has; anything else was passed with ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime  # type: ignore[assignment]


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request it was logged in, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not getattr(record, "request_id", None):
            record.request_id = g.get("request_id")
        return True


def configure_json_logging(level: int = logging.INFO) -> logging.Handler:
    """Send every log record to stderr as JSON (replacing an earlier call's handler)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def choose_request_id(incoming: str | None) -> str:
    """Keep a sane incoming id (so proxies can correlate), else make a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def start_request() -> None:
    g.request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    """Echo the request id and write the one log line for this request."""
    request_id = g.get("request_id") or choose_request_id(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started", time.perf_counter())
    request_log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,  # without the query string
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": _loaded_user_id(),
        },
    )
    return response


def _loaded_user_id() -> int | None:
    # Only a user the request already loaded: logging must not cost a query.
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def init_logging(app: Flask) -> None:
    """Request ids and request lines always; JSON output when ``LOG_JSON`` is on."""
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)
    if app.config["LOG_JSON"]:
        configure_json_logging()
