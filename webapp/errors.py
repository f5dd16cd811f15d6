"""Domain errors and the error pages.  One place turns exceptions into responses."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db, login_manager


class DomainError(Exception):
    """A request that cannot be done, with a message fit to show the user."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported file",
    422: "Cannot process this",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
    507: "Out of storage space",
}

EXPLANATIONS = {
    400: "The request was not understood.",
    403: "Your account does not have access to this page.",
    404: "There is nothing at this address, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than this server accepts.",
    429: "Too many attempts in a short time. Please wait a minute and try again.",
    500: "An unexpected error happened. Nothing was saved. The team has been told.",
    503: "The database is not answering just now. Nothing was saved. Please try again in a minute.",
    507: (
        "The server has run out of storage space, so nothing was saved. "
        "Please tell your course administrator and try again later."
    ),
}

# PostgreSQL's SQLSTATE for "disk full" (class 53, insufficient resources).
POSTGRES_DISK_FULL = "53100"
# Seconds a client should wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    """JSON for API calls: JSON or raw-audio bodies, or a client that prefers JSON."""
    if request.is_json or request.mimetype == "application/octet-stream":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def render_error(status: int, message: str | None = None) -> Any:
    message = message or EXPLANATIONS.get(status, "")
    if wants_json():
        return jsonify(error=TITLES.get(status, "Error"), message=message), status
    title = TITLES.get(status, "Error")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, HTTP errors, CSRF and crashes."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Any:
        db.session.rollback()
        return render_error(error.status, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> Any:
        db.session.rollback()
        return render_error(400, "The form expired or was sent from elsewhere. Please try again.")

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status >= 500:
            db.session.rollback()
        if status == 429:
            return render_error(429)
        return render_error(status, _explain(error, status))

    @app.teardown_request
    def end_session_even_without_database(_error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's app-context teardown, whose rollback would raise
        # if the database went away after the view finished, turning an answered request
        # into a dropped connection.
        _rollback_quietly()

    @app.errorhandler(sa.exc.DBAPIError)
    def handle_database_error(error: sa.exc.DBAPIError) -> Any:
        if database_storage_full(error):
            _rollback_quietly()
            app.logger.error("database storage full on %s %s", request.method, request.path)
            return render_error(507)
        if not database_unavailable(error):
            return handle_crash(error)
        _rollback_quietly()
        app.logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            type(error.orig).__name__,
        )
        return _unavailable()

    @app.errorhandler(sa.exc.TimeoutError)
    def handle_pool_timeout(error: sa.exc.TimeoutError) -> Any:
        _rollback_quietly()
        app.logger.warning("no database connection free on %s %s", request.method, request.path)
        return _unavailable()

    @app.errorhandler(Exception)
    def handle_crash(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def database_storage_full(error: sa.exc.DBAPIError) -> bool:
    """The database could not write because its disk is full: not an outage that passes
    by itself, so the user is told storage ran out (507), as for a full upload disk."""
    original = error.orig
    if isinstance(original, sqlite3.Error):
        return getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL


def database_unavailable(error: sa.exc.DBAPIError) -> bool:
    """The database is down, restarting or unreachable, as opposed to refusing the data.

    SQLAlchemy sorts driver errors into DBAPI's classes: a lost or refused connection is
    an ``OperationalError`` or ``InterfaceError``, or is flagged as invalidated; bad data
    (``IntegrityError``, ``DataError``) and bad SQL (``ProgrammingError``) are bugs or
    input errors and stay 500s or are handled where they happen.
    """
    return error.connection_invalidated or isinstance(
        error, sa.exc.OperationalError | sa.exc.InterfaceError
    )


def _rollback_quietly() -> None:
    # The session's connection may be dead: then drop it without talking to the server
    # (the server rolls back whatever it had when the connection went).
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        db.session().invalidate()


def _unavailable() -> Any:
    # The page must not look up the user again (the lookup is what failed): show it as
    # to a visitor who is not logged in.
    g._login_user = login_manager.anonymous_user()
    body, status = render_error(503)
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _explain(error: HTTPException, status: int) -> str:
    # Werkzeug's default descriptions are generic English; ours are friendlier, but a
    # description passed explicitly to abort() wins.
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    return EXPLANATIONS.get(status, error.description or "")
