"""Login, logout and password views: parse, call a service, commit, respond."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.access import login_required_any, public
from webapp.audit import record_event
from webapp.auth import bp
from webapp.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from webapp.auth.services import authenticate, change_own_password
from webapp.errors import InvalidInput
from webapp.extensions import db, limiter
from webapp.models import AuditAction

LOGIN_FAILED_MESSAGE = "That email and password do not match an active account."


def login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def safe_next_url(target: str | None) -> str:
    """Only follow ``next`` to a path on this site, never to another host."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        db.session.commit()
        if user is not None:
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")))
        flash(LOGIN_FAILED_MESSAGE, "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout() -> Any:
    # GET shows a confirmation button: a state change must never happen on a GET.
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            record_event(AuditAction.LOGOUT)
            db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required_any
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(
                current_user, form.current_password.data or "", form.new_password.data or ""
            )
        except InvalidInput as error:
            form.current_password.errors.append(error.message)
            return render_template("auth/password.html", form=form), 422
        db.session.commit()
        login_user(current_user._get_current_object())  # stay logged in here, new token
        flash("Your password is changed. Other devices have been logged out.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
