"""Fixtures for the recording tests: a live server with the tiny speech model, a spoken
WAV made with espeak-ng, and a Chromium whose microphone plays that WAV.

A test module loads them with ``pytest_plugins = ["tests.e2e.fakemic"]`` and must not
import this module itself, so that every module shares one server and one browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, running_server, server_env
from webapp.config import DEFAULTS

SPEECH = (
    "Hello, my name is Sam and I am a social worker. "
    "I have come to talk about the school's concerns about Tyler."
)
FALLBACK_WAV = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "short.wav"
FALLBACK_WORDS = "thank you for coming"  # what short.wav says
FALLBACK_REPEATS = 5
VIGNETTE = "school-referral-late-and-hungry"
TRAINEE = "trainee1@example.org"
ACTOR = "actor@example.org"


def repeat_wav(source: Path, times: int, target: Path) -> None:
    with wave.open(str(source), "rb") as reader:
        params, frames = reader.getparams(), reader.readframes(reader.getnframes())
    with wave.open(str(target), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(frames * times)


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A mono 22.05 kHz WAV of ``SPEECH`` and words a tiny model should get right."""
    path = tmp_path_factory.mktemp("fakemic") / "speech.wav"
    if not shutil.which("espeak-ng"):
        # The microphone starts playing when the page first opens it, seconds before the
        # recording starts: the 2.4 s phrase said once would be half gone by then.
        repeat_wav(FALLBACK_WAV, FALLBACK_REPEATS, path)
        return path, FALLBACK_WORDS
    subprocess.run(
        ["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(path), SPEECH],
        check=True,
        capture_output=True,
    )
    return path, "social worker"


# Seeds the database through the app's own commands, so that ``python -m webapp`` sees users
# and skips the demo data: the demo interviews (18 minutes of audio) would otherwise fill
# the transcription queue ahead of the test recordings for minutes.
SEED = """
import sys
from flask_migrate import upgrade
from webapp import create_app
from webapp.demo import DEMO_USERS

app = create_app()
with app.app_context():
    upgrade()
runner = app.test_cli_runner()
commands = [(["vignettes", "import"], None)]
for user in DEMO_USERS:
    if user.email in sys.argv[1:]:
        roles = [arg for role in user.roles for arg in ("--role", str(role))]
        args = ["users", "create", "--email", user.email, "--name", user.name, *roles]
        commands.append(([*args, "--password-stdin"], app.config["DEMO_PASSWORD"] + "\\n"))
for args, stdin in commands:
    result = runner.invoke(args=args, input=stdin)
    if result.exit_code:
        sys.exit(f"{' '.join(args[:2])}: {result.output}")
"""


@pytest.fixture(scope="session")
def speech_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m webapp`` with the tiny English model, a trainee, an actor and the
    vignettes (but no demo interviews), and a generous login limit."""
    data_dir = tmp_path_factory.mktemp("speech-live")
    env = server_env(
        data_dir, free_port(), SECRET_KEY="e2e-recording-secret", WHISPER_MODEL="tiny.en"
    )
    seed = [sys.executable, "-c", SEED, TRAINEE, ACTOR]
    seeded = subprocess.run(seed, env=env, capture_output=True, text=True, timeout=120)
    if seeded.returncode:
        pytest.fail(f"seeding the test database failed:\n{seeded.stdout}{seeded.stderr}")
    with running_server(data_dir, env) as url:
        yield url


@pytest.fixture(scope="session")
def fakemic_browser(browser, speech_wav: tuple[Path, str]) -> Iterator[object]:
    """Chromium whose default microphone plays the speech WAV once, then silence.

    Launched through the Playwright driver of conftest's ``browser``: a second
    ``sync_playwright()`` cannot run beside the first."""
    wav, _ = speech_wav
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav.resolve()}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    ]
    instance = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield instance
    instance.close()


@pytest.fixture
def trainee(fakemic_browser, speech_server) -> Iterator[Trainee]:
    """A logged-in trainee in a fresh context with the microphone allowed."""
    context = fakemic_browser.new_context(permissions=["microphone"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = Trainee(page, context, speech_server)
    person.log_in(TRAINEE)
    yield person
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


class Trainee:
    """What a trainee does in the browser, as short steps for the tests."""

    def __init__(self, page, context, server: str) -> None:
        self.page, self.context, self.server = page, context, server

    def log_in(self, email: str) -> None:
        self.page.goto(self.server + "/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", DEFAULTS["DEMO_PASSWORD"])
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.server + "/")

    def open_start_page(self) -> None:
        """The start page of a vignette, with the first actor chosen."""
        self.page.goto(f"{self.server}/practice/vignettes/{VIGNETTE}")
        self.page.select_option("select[name=actor_id]", index=1)

    def start_session(self) -> str:
        """Start a browser-recording session; return the recording page's URL."""
        self.open_start_page()
        self.page.click("#start-form button[type=submit]")
        self.page.wait_for_url("**/practice/recordings/*")
        self.page.wait_for_selector("[data-recorder][data-state=idle]")
        return self.page.url

    def record_for(self, seconds: float) -> None:
        """Press Start and wait until the recorder's timer shows ``seconds``."""
        self.page.get_by_role("button", name="Start recording").click()
        self.wait_recorded(seconds)

    def wait_recorded(self, seconds: float) -> None:
        self.wait_until(
            "s => Number(document.querySelector('[data-recorder]').dataset.elapsed || 0) >= s",
            seconds,
            timeout=seconds + 20,
        )

    def recorded_seconds(self) -> float:
        return float(self.page.get_attribute("[data-recorder]", "data-elapsed") or 0)

    def wait_until(self, function: str, arg: object = None, timeout: float = 20) -> object:
        """Poll ``function`` in the page until it returns something truthy.

        ``page.wait_for_function`` evaluates its predicate with ``eval`` in the page, which
        the app's CSP (rightly) forbids; ``page.evaluate`` goes through the debugger."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(function, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {function}")
            time.sleep(0.2)
