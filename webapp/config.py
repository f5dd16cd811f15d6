"""Configuration: documented defaults, overridden by the environment, then by tests.

Every setting the app reads lives here.  Two modes:

* **embedded** (default): SQLite in ``DATA_DIR``, Huey on a SQLite file beside it, an
  in-process worker, a secret key generated once into the instance folder.
* **production** (``APP_ENV=production``): nothing is guessed.  ``SECRET_KEY`` must be
  given, demo data is never loaded, session cookies are marked secure.

Settings read from the environment (README has the full table):

- ``APP_ENV``: ``embedded`` (default) or ``production``
- ``SECRET_KEY``: signs sessions and CSRF tokens; generated into instance/ when embedded
- ``DATA_DIR``: recordings, transcripts, models, the queue file (default: instance/)
- ``DATABASE_URL``: SQLAlchemy URL (default ``sqlite:///DATA_DIR/app.db``)
- ``QUEUE_URL``: Huey storage, ``sqlite:///…`` (default), ``redis://…``, ``postgresql://…``
- ``EMBEDDED_WORKER``: worker threads inside the web process (default on when embedded)
- ``WORKER_THREADS``: threads per worker (default 1)
- ``HOST`` / ``PORT``: where ``make run`` serves (default 127.0.0.1:8000)
- ``LOGIN_RATE_LIMIT``: per client address on POST /login (default 10/minute, 50/hour)
- ``RATELIMIT_STORAGE_URI``: Flask-Limiter storage (``memory://``; ``redis://`` at scale)
- ``MAX_UPLOAD_MB`` / ``MAX_RECORDING_MINUTES``: upload size and recording length limits
- ``WHISPER_MODEL`` / ``WHISPER_THREADS``: speech model (``base``, ``tiny.en`` or a folder)
- ``DOUBLE_CODED_FRACTION`` / ``ADJUDICATION_THRESHOLD``: share of recordings rated twice;
  score gap from which two coders' scores wait for adjudication instead of being averaged
- ``CALIBRATION_MAX_BIAS`` / ``CALIBRATION_MAX_MAD`` / ``CALIBRATION_MIN_N``: when a rater
  counts as calibrated against the gold-standard recordings (defaults 0.5, 0.75, 1)
- ``MODELS_DIR``: trained classifier artifacts and cards (default: ``DATA_DIR/models`` in
  production or when ``DATA_DIR`` is given; the repository's ``models/`` folder otherwise)
- ``ESTIMATE_MIN_QWK``: cross-validated quadratic weighted kappa a dimension's model needs
  before its estimates are shown (default 0.4)
- ``SHOW_ESTIMATES_TO_TRAINEES``: whether new cohorts (and trainees in no cohort) start
  with advisory estimates shown on trainees' own recordings; educators then switch each
  cohort on the model page (default off)
- ``LOG_JSON``: JSON log lines on stderr with a request id (default on in production)
- ``HEARTBEAT_MAX_AGE_SECONDS`` / ``MIN_FREE_DISK_MB``: when ``/readyz`` reports the
  worker or the disk as failing (defaults 180 s, 500 MB)
- ``PROXY_FIX_HOPS``: reverse proxies in front of the app whose ``X-Forwarded-For``/
  ``-Proto``/``-Host``/``-Port`` headers are trusted (default 0: ignored; 1 behind one nginx)
- ``PG_BIN``: folder with ``pg_dump``/``pg_restore`` for backups (default: PATH, then
  the newest /usr/lib/postgresql/*/bin)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

EMBEDDED = "embedded"
PRODUCTION = "production"

# A file name, not a secret.
SECRET_KEY_FILE = "secret_key"  # noqa: S105  # nosec B105

DEFAULTS: dict[str, Any] = {
    "APP_ENV": EMBEDDED,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKER_THREADS": 1,
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    # argon2id parameters (OWASP: m >= 19 MiB, t >= 2).  Raising them makes existing
    # hashes re-hash on the next successful login.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    # The public demo password (README; bandit B105, low, expected): demo data is never
    # loaded in production.
    "DEMO_PASSWORD": "practice-makes-better",
    "VIGNETTE_DIR": str(Path(__file__).resolve().parent.parent / "vignettes"),
    "QUEUE_IMMEDIATE": False,
    # Recordings.  Uploads stream to disk; the request limit is the upload limit plus room
    # for the form fields around the file.
    "MAX_UPLOAD_MB": 500,
    "MAX_RECORDING_MINUTES": 60,  # hard cap: the browser stops, longer uploads are refused
    "DEFAULT_TARGET_MINUTES": 30,
    "CHUNK_SECONDS": 5,  # the browser sends audio every few seconds
    "MAX_CHUNK_BYTES": 8 * 1024 * 1024,
    "ABANDONED_RECORDING_MINUTES": 120,  # finalise browser recordings silent this long
    "WHISPER_MODEL": None,  # "base" (default when installed), "tiny.en" or a model directory
    "WHISPER_THREADS": 2,
    # Bootstrap resamples (over recordings) behind the reliability report's alpha intervals;
    # 0 turns them off.  200 keeps the page around a second for a few hundred
    # double-coded recordings.
    "RELIABILITY_BOOTSTRAP_RESAMPLES": 200,
    # Blind rating.  The share of recordings that get an independent second rater (the
    # study design double-codes half); allocation keeps the running share within one
    # recording of it across batches.
    "DOUBLE_CODED_FRACTION": 0.5,
    # Two coders' scores for a dimension that differ by this much or more are not
    # averaged: the dimension waits for adjudication.
    "ADJUDICATION_THRESHOLD": 2,
    # Calibration against gold-standard recordings: a rater is calibrated when, on every
    # dimension with at least CALIBRATION_MIN_N rated gold recordings, the mean signed
    # difference from the reference is within +-CALIBRATION_MAX_BIAS and the mean absolute
    # difference is at most CALIBRATION_MAX_MAD (scale points; see rating/calibration.py).
    "CALIBRATION_MAX_BIAS": 0.5,
    "CALIBRATION_MAX_MAD": 0.75,
    "CALIBRATION_MIN_N": 1,
    # Advisory rating estimates (webapp/estimates).  A dimension's estimates are shown to
    # educators only when its model's cross-validated QWK reaches ESTIMATE_MIN_QWK; raters
    # never see them; trainees only when their cohort's switch is on (educators set it on
    # the model page; SHOW_ESTIMATES_TO_TRAINEES is only its default).  MODELS_DIR is
    # derived in build_config when not given.
    "ESTIMATE_MIN_QWK": 0.4,
    "SHOW_ESTIMATES_TO_TRAINEES": False,
    # Privacy (webapp/privacy).  A recording's audio and transcript text are kept this many
    # days after it is made; then the daily purge deletes them and keeps the scores.
    "RETENTION_DAYS": 730,
    # Operations (webapp/ops).  Workers write a heartbeat every minute; /readyz fails the
    # "worker" check when the newest is older than this, or when no worker ever wrote one.
    "HEARTBEAT_MAX_AGE_SECONDS": 180,
    # /readyz fails the "disk" check below this much free space in DATA_DIR: uploads
    # stream to disk and would fail half-way.
    "MIN_FREE_DISK_MB": 500,
    # pg_dump / pg_restore folder for `flask backup` on PostgreSQL (None: search).
    "PG_BIN": None,
    # Reverse proxies whose X-Forwarded-* headers are trusted (client address for the login
    # rate limit and the audit log, https for absolute URLs).  0 ignores the headers, so a
    # client talking to the app directly cannot spoof its address; 1 behind one nginx.
    "PROXY_FIX_HOPS": 0,
}

# Environment variables read as-is (strings) or converted by the named function.
_ENV_CASTS: dict[str, Any] = {
    "APP_ENV": str,
    "SECRET_KEY": str,
    "DATA_DIR": str,
    "DATABASE_URL": str,
    "QUEUE_URL": str,
    "HOST": str,
    "PORT": int,
    "WORKER_THREADS": int,
    "LOGIN_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "MAX_UPLOAD_MB": int,
    "MAX_RECORDING_MINUTES": int,
    "WHISPER_MODEL": str,
    "WHISPER_THREADS": int,
    "DOUBLE_CODED_FRACTION": float,
    "ADJUDICATION_THRESHOLD": int,
    "CALIBRATION_MAX_BIAS": float,
    "CALIBRATION_MAX_MAD": float,
    "CALIBRATION_MIN_N": int,
    "MODELS_DIR": str,
    "ESTIMATE_MIN_QWK": float,
    "RETENTION_DAYS": int,
    "HEARTBEAT_MAX_AGE_SECONDS": int,
    "MIN_FREE_DISK_MB": int,
    "PG_BIN": str,
    "PROXY_FIX_HOPS": int,
}


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the settings given in the environment, converted to their types."""
    found: dict[str, Any] = {}
    for name, cast in _ENV_CASTS.items():
        if environ.get(name):
            try:
                found[name] = cast(environ[name])
            except ValueError as exc:
                raise ConfigError(f"{name}={environ[name]!r} is not valid: {exc}") from exc
    if environ.get("EMBEDDED_WORKER"):
        found["EMBEDDED_WORKER"] = _env_bool(environ["EMBEDDED_WORKER"])
    if environ.get("LOG_JSON"):
        found["LOG_JSON"] = _env_bool(environ["LOG_JSON"])
    if environ.get("SHOW_ESTIMATES_TO_TRAINEES"):
        found["SHOW_ESTIMATES_TO_TRAINEES"] = _env_bool(environ["SHOW_ESTIMATES_TO_TRAINEES"])
    return found


def build_config(
    instance_path: str, environ: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults, environment and overrides, then derive the dependent settings."""
    config: dict[str, Any] = dict(DEFAULTS)
    config.update(read_environment(environ))
    config.update(overrides or {})
    if config["APP_ENV"] not in {EMBEDDED, PRODUCTION}:
        raise ConfigError(
            f"APP_ENV must be '{EMBEDDED}' or '{PRODUCTION}', not {config['APP_ENV']!r}"
        )
    is_production = config["APP_ENV"] == PRODUCTION
    data_dir = Path(config.get("DATA_DIR") or instance_path).resolve()
    config["MODELS_DIR"] = models_dir(config, data_dir, is_production)  # reads DATA_DIR as given
    config["DATA_DIR"] = str(data_dir)
    config.setdefault("EMBEDDED_WORKER", not is_production)
    config.setdefault("SESSION_COOKIE_SECURE", is_production)
    config.setdefault("REMEMBER_COOKIE_SECURE", is_production)
    config.setdefault("LOG_JSON", is_production)
    config.setdefault("QUEUE_URL", f"sqlite:///{data_dir / 'queue.db'}")
    database_url = config.get("DATABASE_URL") or f"sqlite:///{data_dir / 'app.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    config.setdefault("MAX_CONTENT_LENGTH", (config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024)
    if not config.get("SECRET_KEY"):
        if is_production:
            raise ConfigError("SECRET_KEY must be set in production (APP_ENV=production).")
        config["SECRET_KEY"] = load_or_create_secret_key(Path(instance_path))
    return config


REPO_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def models_dir(config: Mapping[str, Any], data_dir: Path, is_production: bool) -> str:
    """``MODELS_DIR`` if given; ``DATA_DIR/models`` in production or when ``DATA_DIR`` is
    given (so a deployment keeps models with its data); else the repository's ``models/``."""
    if config.get("MODELS_DIR"):
        return str(Path(config["MODELS_DIR"]).resolve())
    if is_production or config.get("DATA_DIR"):
        return str(data_dir / "models")
    return str(REPO_MODELS_DIR)


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_or_create_secret_key(instance_dir: Path) -> str:
    """Read the instance's secret key, generating it (mode 0600) on first use."""
    path = instance_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: if two processes race on first start, one wins and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
