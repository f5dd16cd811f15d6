"""Browser tests: a real server (``python -m webapp``, as ``make run`` starts it) and
Debian's Chromium driven by Playwright.  ``playwright install`` is never needed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"server did not answer at {url}")


def server_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """Environment for a throwaway ``python -m webapp`` on loopback with its own data."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        # every test logs in from 127.0.0.1; the default limit would throttle the suite
        "LOGIN_RATE_LIMIT": "1000 per minute",
        **settings,
    }
    for name in ("TEST_DATABASE_URL", "DATABASE_URL", "QUEUE_URL"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def running_server(data_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """Run ``python -m webapp`` (as ``make run`` does) until the block ends; yield its URL."""
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh instance served by ``python -m webapp`` (migrate + demo data)."""
    data_dir = tmp_path_factory.mktemp("live")
    # These tests need no transcription; the demo interviews would otherwise be
    # transcribed in the background and slow every other browser test down.
    env = server_env(data_dir, free_port(), SECRET_KEY="e2e-secret", EMBEDDED_WORKER="0")
    with running_server(data_dir, env) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()
