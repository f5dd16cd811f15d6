"""The Flask application for simulated-client interview practice and assessment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import ConfigError, build_config


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an app instance (defaults < environment < ``test_config``)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(build_config(app.instance_path, os.environ, test_config))
    os.makedirs(app.config["DATA_DIR"], exist_ok=True)
    trust_reverse_proxy(app)
    init_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    from webapp.cli import register_commands

    register_commands(app)
    return app


def trust_reverse_proxy(app: Flask) -> None:
    """Behind ``PROXY_FIX_HOPS`` proxies, take client address, scheme and host from them.

    Only as many hops as configured are trusted: the proxy appends the real client address
    to X-Forwarded-For, so anything a client put there itself stays further left and is
    ignored.  With 0 hops the headers are not read at all (nothing to spoof).
    """
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops < 0:
        raise ConfigError(f"PROXY_FIX_HOPS must be 0 or more, not {hops}")
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def init_extensions(app: Flask) -> None:
    from webapp import models  # noqa: F401  (register the tables with the metadata)
    from webapp.auth.services import load_user_from_session
    from webapp.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)
    from webapp.jobs import init_queue

    init_queue(app)


def _migrations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def register_blueprints(app: Flask) -> None:
    from webapp.admin import bp as admin_bp
    from webapp.auth import bp as auth_bp
    from webapp.dashboard import bp as dashboard_bp
    from webapp.estimates import bp as estimates_bp
    from webapp.exports import bp as exports_bp
    from webapp.feedback import bp as feedback_bp
    from webapp.home import bp as home_bp
    from webapp.library import bp as library_bp
    from webapp.moderation import bp as moderation_bp
    from webapp.ops import bp as ops_bp
    from webapp.practice import bp as practice_bp
    from webapp.privacy import bp as privacy_bp
    from webapp.reports import bp as reports_bp
    from webapp.review import bp as review_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(library_bp, url_prefix="/library")
    app.register_blueprint(practice_bp, url_prefix="/practice")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(estimates_bp, url_prefix="/estimates")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(feedback_bp, url_prefix="/feedback")
    app.register_blueprint(ops_bp)
    app.register_blueprint(privacy_bp, url_prefix="/privacy")
    app.register_blueprint(exports_bp, url_prefix="/exports")


def register_hooks(app: Flask) -> None:
    from webapp.access import enforce_access, public
    from webapp.errors import register_error_handlers
    from webapp.home.navigation import navigation
    from webapp.ops.logs import init_logging
    from webapp.security import set_security_headers

    public(app.view_functions["static"])
    app.before_request(enforce_access)
    app.after_request(set_security_headers)
    register_error_handlers(app)
    init_logging(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["navigation"] = navigation
