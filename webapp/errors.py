"""Domain errors and the error pages.  One place turns exceptions into responses."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db


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
}

EXPLANATIONS = {
    400: "The request was not understood.",
    403: "Your account does not have access to this page.",
    404: "There is nothing at this address, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than this server accepts.",
    429: "Too many attempts in a short time. Please wait a minute and try again.",
    500: "An unexpected error happened. Nothing was saved. The team has been told.",
}


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

    @app.errorhandler(Exception)
    def handle_crash(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def _explain(error: HTTPException, status: int) -> str:
    # Werkzeug's default descriptions are generic English; ours are friendlier, but a
    # description passed explicitly to abort() wins.
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    return EXPLANATIONS.get(status, error.description or "")
