"""The real servers and processes the integration tests run: the throwaway PostgreSQL
cluster and Redis server of ``.ci/with-services``, app workers, a gunicorn web server.

Every process is started by these helpers and stopped by its own handle.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BIN = Path(sys.executable).parent  # the virtualenv's scripts: flask, gunicorn
ROOT = Path(__file__).resolve().parents[2]

needs_services = pytest.mark.skipif(
    not (TEST_REDIS_URL and TEST_DATABASE_URL and os.environ.get("TEST_PG_DATA")),
    reason="integration tests need real PostgreSQL and Redis: run `make test-integration` "
    "(.ci/with-services starts both; CI runs it after the PostgreSQL run)",
)
integration = [pytest.mark.integration, pytest.mark.slow, needs_services]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- PostgreSQL ---------------------------------------------------------------------


def fresh_database(name: str) -> str:
    """An empty database ``name`` on the test server; returns its URL."""
    assert TEST_DATABASE_URL is not None
    server = sa.make_url(TEST_DATABASE_URL)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


class PostgresServer:
    """The cluster ``.ci/with-postgres`` started, which these tests may stop and start."""

    def __init__(self) -> None:
        self.bin = Path(os.environ["TEST_PG_BIN"])
        self.data = os.environ["TEST_PG_DATA"]
        self.run_as = os.environ.get("TEST_PG_RUN_AS", "")

    def pg_ctl(self, *args: str, check: bool = True) -> int:
        command = [str(self.bin / "pg_ctl"), "-D", self.data, *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, timeout=60).returncode

    def ensure_running(self) -> None:
        """After a failed test: leave the server up for the tests that follow."""
        if self.pg_ctl("status", check=False) != 0:
            self.start()

    def crash(self) -> None:
        """Stop as a power cut would: no shutdown checkpoint, clients cut off."""
        self.pg_ctl("stop", "-m", "immediate", "-w")

    def start(self) -> None:
        # The same port, socket folder and settings as .ci/with-postgres gave it.
        log = os.environ.get("TEST_PG_LOG", "/dev/null")
        self.pg_ctl("start", "-w", "-l", log, "-o", os.environ["TEST_PG_OPTIONS"])


# -- app processes ------------------------------------------------------------------


def production_env(data_dir: Path, database_url: str, queue_url: str) -> dict[str, str]:
    """The environment README's Production section gives every web and worker process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEST_", "FLASK_", "DATABASE_", "QUEUE_"))
    }
    env.update(
        APP_ENV="production",
        DATA_DIR=str(data_dir),
        EMBEDDED_WORKER="0",
        SECRET_KEY="integration-" + "x" * 52,
        DATABASE_URL=database_url,
        QUEUE_URL=queue_url,
        WHISPER_MODEL="tiny.en",
        WHISPER_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``.venv/bin/flask --app webapp ARGS`` and return its output."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "webapp", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def running(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process for the duration of a ``with`` block, then stop it."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Huey and gunicorn: finish, then exit
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def worker(env: dict[str, str], log: Path) -> Any:
    """README: ``.venv/bin/flask --app webapp worker --threads 1``."""
    return running([str(BIN / "flask"), "--app", "webapp", "worker", "--threads", "1"], env, log)


def gunicorn(env: dict[str, str], port: int, log: Path) -> Any:
    """README: gunicorn on loopback, trusting the proxy's forwarded headers."""
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--forwarded-allow-ips",
        "127.0.0.1",
        "webapp:create_app()",
    ]
    return running(command, env, log)


def log_records(log: Path) -> list[dict[str, Any]]:
    """The JSON lines of a production process's log (other lines are skipped)."""
    records = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


CLAIM = re.compile(r"job (\d+) \([\w-]+\) claimed by pid (\d+): attempt (\d+)")


def claimed_jobs(log: Path) -> list[tuple[int, int, int]]:
    """(job id, pid, attempt) for every job the worker writing ``log`` claimed."""
    found = []
    for record in log_records(log):
        match = CLAIM.search(str(record.get("message", "")))
        if match:
            found.append((int(match[1]), int(match[2]), int(match[3])))
    return found


# -- HTTP ---------------------------------------------------------------------------


class Browser:
    """A minimal HTTP client that behaves like a browser behind the TLS proxy.

    Production cookies are ``Secure``; the proxy would have told gunicorn the request came
    over HTTPS (``X-Forwarded-Proto``), so this client keeps and returns cookies itself.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Over HTTPS, Flask-WTF also wants the form to come from this site.
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, form)

    @staticmethod
    def token_in(html: str) -> str | None:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        return match[1] if match else None

    def csrf_token(self, path: str) -> str | None:
        status, _, html = self.get(path)
        return self.token_in(html) if status == 200 else None

    def login(self, email: str, password: str) -> None:
        token = self.csrf_token("/login")
        assert token, "no login form"
        status, _, body = self.post(
            "/login", {"email": email, "password": password, "csrf_token": token}
        )
        assert status == 302, (status, body[:500])
