"""The whole loop in one browser run, each person in their own browser context:

an educator assigns a vignette to a cohort; the trainee records an interview through the
fake microphone and reads the transcript; two raters rate it blind and disagree; the
educator adjudicates, finds the recording in the reliability report and the trainee's
trajectory, and releases the feedback, which the trainee sees only then.

Only the accounts and the cohort are made beforehand, with the app's own commands; every
step of the workflow goes through the pages.  Set ``E2E_SCREENSHOTS=DIR`` to keep a
screenshot of each step."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from rating.instruments import load_builtin_instruments
from tests.e2e.conftest import free_port, running_server, server_env

# the fake-microphone Chromium and the espeak-ng speech WAV
pytest_plugins = ["tests.e2e.fakemic"]

pytestmark = pytest.mark.e2e

PASSWORD = "loop-test-password"
COHORT = "Riverside pilot intake"
VIGNETTE_SLUG = "school-referral-late-and-hungry"
INSTRUMENT = "simulated-client"
EDUCATOR = ("edwina.educator@loop.test", "Edwina Educator", ["educator"])
RATER_A = ("rhona.rater@loop.test", "Rhona Rater", ["rater"])
RATER_B = ("rafe.rater@loop.test", "Rafe Rater", ["rater"])
TRAINEE = ("tamsin.fairweather@loop.test", "Tamsin Fairweather", ["trainee"])
ACTOR = ("morgan.actor@loop.test", "Morgan Actorly", ["actor"])

# Two ratings 2 points apart on clarity (adjudication), close on the rest (averaged).
SCORES_A = {"clarity": 4, "empathy": 3, "warmth": 4, "strengths": 2}
SCORES_B = {"clarity": 2, "empathy": 3, "warmth": 5, "strengths": 3}
CONSENSUS = {"clarity": 3}
NOTE_A = ("clarity", "Names the school's concern about Tyler in the first minute.")
NOTE_B = ("warmth", "A friendly greeting that puts the parent at ease.")

SEED = """
import sys
from flask_migrate import upgrade
from webapp import create_app

app = create_app()
with app.app_context():
    upgrade()
runner = app.test_cli_runner()
cohort, password, people = sys.argv[1], sys.argv[2], sys.argv[3:]
commands = [(["vignettes", "import"], None), (["cohorts", "create", cohort], None)]
for person in people:
    email, name, roles, group = person.split("|")
    args = ["users", "create", "--email", email, "--name", name]
    args += [arg for role in roles.split(",") for arg in ("--role", role)]
    args += ["--cohort", group] if group else []
    commands.append(([*args, "--password-stdin"], password + "\\n"))
for args, stdin in commands:
    result = runner.invoke(args=args, input=stdin)
    if result.exit_code:
        sys.exit(f"{' '.join(args[:2])}: {result.output}")
"""


def as_seed_argument(person: tuple[str, str, list[str]], cohort: str = "") -> str:
    email, name, roles = person
    return "|".join((email, name, ",".join(roles), cohort))


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m webapp`` with the tiny model, every recording double-coded, and only
    the people of this story (so no demo interviews queue ahead of the test's)."""
    data_dir = tmp_path_factory.mktemp("full-loop")
    env = server_env(
        data_dir,
        free_port(),
        SECRET_KEY="e2e-full-loop-secret",
        WHISPER_MODEL="tiny.en",
        # the share an administrator sets for a reliability study: every recording twice
        DOUBLE_CODED_FRACTION="1.0",
        RELIABILITY_BOOTSTRAP_RESAMPLES="50",
    )
    people = [as_seed_argument(p) for p in (EDUCATOR, RATER_A, RATER_B, ACTOR)]
    people.append(as_seed_argument(TRAINEE, COHORT))
    seed = [sys.executable, "-c", SEED, COHORT, PASSWORD, *people]
    seeded = subprocess.run(seed, env=env, capture_output=True, text=True, timeout=180)
    if seeded.returncode:
        pytest.fail(f"seeding the test database failed:\n{seeded.stdout}{seeded.stderr}")
    with running_server(data_dir, env) as url:
        yield url


class Person:
    """One person's browser context, logged in, with their page."""

    def __init__(self, browser, server: str, who: tuple[str, str, list[str]], **options) -> None:
        self.context = browser.new_context(**options)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("console", self.keep_csp_violation)
        self.server, self.email, self.name = server, who[0], who[1]
        self.log_in()

    def keep_csp_violation(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(message.text)

    def log_in(self) -> None:
        self.page.goto(self.server + "/login")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(self.server + "/")

    def go(self, nav_label: str) -> None:
        """Follow a link of the main navigation."""
        self.page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=nav_label, exact=True
        ).click()

    def snap(self, step: str) -> None:
        folder = os.environ.get("E2E_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{step}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert not self.problems, f"{self.name}: {self.problems}"


def flash_text(page) -> str:
    return page.locator(".flashes").inner_text()


def text_of(page) -> str:
    """The visible text of the page with whitespace collapsed."""
    return " ".join(page.locator("body").inner_text().split())


# -- the steps -----------------------------------------------------------------------------


def vignette_title() -> str:
    path = Path(__file__).resolve().parents[2] / "vignettes" / f"{VIGNETTE_SLUG}.yaml"
    return str(yaml.safe_load(path.read_text(encoding="utf-8"))["title"])


def assign_vignette_to_cohort(educator: Person, due: date) -> str:
    page = educator.page
    educator.go("Dashboard")
    page.get_by_role("link", name="Assignments").click()
    title = vignette_title()
    page.get_by_label("Vignette").select_option(label=title)
    page.get_by_label("or a whole cohort").select_option(label=COHORT)
    page.get_by_label("Due date (optional)").fill(due.isoformat())
    page.get_by_label("Time point (optional)").fill("before the training block")
    page.get_by_role("button", name="Assign").click()
    assert f"Assigned “{title}”." in flash_text(page)
    assert page.get_by_role("row").filter(has_text=title).filter(has_text=COHORT).count() == 1
    educator.snap("01-assigned")
    return title


def record_the_assignment(trainee: Person, title: str, due: date, words: str) -> str:
    """Open the assignment, start a session with the actor, record 8 s; the recording's URL."""
    page = trainee.page
    trainee.go("My practice")
    assignments = page.get_by_role("region", name="Your assignments")
    assert f"due {due.strftime('%d %B %Y')}" in assignments.inner_text()
    assignments.get_by_role("link", name=title).click()
    page.get_by_label("Actor", exact=True).select_option(label=ACTOR[1])
    page.get_by_role("button", name="Start recording in the browser").click()
    page.wait_for_url("**/practice/recordings/*")
    recording_url = page.url
    page.get_by_role("button", name="Start recording").click()
    page.get_by_role("button", name="Pause").wait_for()
    wait_recorded(page, 8)
    trainee.snap("02-recording")
    page.get_by_role("button", name="Stop and send").click()
    # the progress view shows while the embedded worker transcribes with tiny.en
    page.get_by_role("progressbar").wait_for(timeout=30_000)
    assert "% of the audio processed" in page.get_by_role("progressbar").locator("..").inner_text()
    transcript = page.get_by_role("region", name="Transcript", exact=True)
    transcript.wait_for(timeout=90_000)
    transcript.locator(".segment").first.wait_for(timeout=20_000)
    said = re.sub(r"[^a-z ]", "", transcript.inner_text().lower())
    assert words in said, said
    trainee.snap("03-transcript")
    return recording_url


def wait_recorded(page, seconds: float) -> None:
    script = "s => Number(document.querySelector('[data-recorder]').dataset.elapsed || 0) >= s"
    wait_true(page, script, seconds, timeout=seconds + 20)


def wait_true(target, script: str, arg: object = None, timeout: float = 20) -> None:
    """Poll ``script`` on a page or locator until it is truthy (``wait_for_function``
    needs eval, which the app's CSP rightly refuses)."""
    for _ in range(int(timeout / 0.25)):
        if target.evaluate(script, arg):
            return
        time.sleep(0.25)
    raise TimeoutError(f"still false after {timeout} s: {script}")


def open_coded_recording(rater: Person) -> str:
    """Open the one recording in the rater's queue (allocation follows the transcript, so
    reload until it arrives); return its code."""
    page = rater.page
    rater.go("Rating")
    to_rate = page.get_by_role("table", name="Recordings waiting for your rating")
    codes = to_rate.get_by_role("link", name=re.compile(r"^R-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    for _ in range(60):
        if codes.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert codes.count() == 1, to_rate.inner_text()
    assert_blind(rater)
    code = codes.first.inner_text()
    codes.first.click()
    page.get_by_role("heading", name=f"Recording {code}").wait_for()
    return code


def assert_blind(rater: Person) -> None:
    html = rater.page.content()
    for secret in (TRAINEE[1], TRAINEE[0], COHORT, ACTOR[1], ACTOR[0]):
        assert secret.lower() not in html.lower(), f"{rater.name} can see {secret!r}"


def submit_rating(rater: Person, scores: dict[str, int], note: tuple[str, str]) -> None:
    page = rater.page
    instrument = load_builtin_instruments()[INSTRUMENT]
    for dimension in instrument.dimensions:
        group = page.get_by_role("group", name=dimension.label, exact=True)
        group.get_by_role("radio", name=re.compile(rf"^{scores[dimension.key]} ")).check()
        if dimension.key == note[0]:
            group.get_by_label(f"Notes on {dimension.label}").fill(note[1])
    page.get_by_role("group", name="How did you rate?").get_by_role(
        "radio", name="Both", exact=True
    ).check()
    page.get_by_role("button", name="Submit rating").click()
    assert "Rating submitted" in flash_text(page)


def rate_blind(server: str, browser, who, scores, note, step: str) -> str:
    """One rater's whole visit: queue, blind rating page, submit; the recording's code."""
    rater = Person(browser, server, who)
    code = open_coded_recording(rater)
    assert_blind(rater)
    submit_rating(rater, scores, note)
    rater.snap(step)
    assert_blind(rater)
    rater.go("Rating")
    done = rater.page.get_by_role("table", name="Recordings you have rated")
    assert code in done.inner_text()
    assert_blind(rater)
    rater.close()
    return code


def adjudicate(educator: Person, code: str) -> None:
    page = educator.page
    educator.go("Moderation")
    assert "1 double-coded recording(s) waiting" in text_of(page)
    page.get_by_role("link", name="Adjudication").click()
    page.get_by_role("link", name=code).click()
    for key, score in CONSENSUS.items():
        label = dimension_label(key)
        page.get_by_label(f"Consensus score for {label}").select_option(str(score))
    page.get_by_label("How the consensus was reached").fill("Discussed the opening minute.")
    educator.snap("06-adjudicating")
    page.get_by_role("button", name="Save consensus scores").click()
    assert "saved as final scores" in flash_text(page)
    educator.go("Moderation")
    assert "0 double-coded recording(s) waiting" in text_of(page)


def dimension_label(key: str) -> str:
    instrument = load_builtin_instruments()[INSTRUMENT]
    return next(d.label for d in instrument.dimensions if d.key == key)


def double_coded_counts(educator: Person) -> dict[str, int]:
    """The reliability report's "Double-coded" column, per dimension (empty: none yet)."""
    page = educator.page
    educator.go("Reports")
    page.get_by_role("link", name="Inter-rater reliability").click()
    page.get_by_role("heading", name="Inter-rater reliability").wait_for()
    counts: dict[str, int] = {}
    table = page.get_by_role("table").filter(has_text="Double-coded")
    if not table.count():
        return counts
    for row in table.first.locator("tbody tr").all():
        header = row.get_by_role("rowheader")
        if header.count():
            counts[header.inner_text().strip()] = int(row.locator("td").first.inner_text())
    return counts


def final_scores() -> dict[str, float]:
    """What the finals should be: the mean of close scores, the consensus otherwise."""
    return {key: CONSENSUS.get(key, (SCORES_A[key] + SCORES_B[key]) / 2) for key in SCORES_A}


def open_trajectory(educator: Person) -> str:
    """The trainee's trajectory page, from the dashboard; its text."""
    page = educator.page
    educator.go("Dashboard")
    page.get_by_role("link", name=TRAINEE[1]).click()
    page.get_by_role("heading", name=f"Trajectory of {TRAINEE[1]}").wait_for()
    return text_of(page)


def check_trajectory(educator: Person, title: str) -> None:
    page = educator.page
    open_trajectory(educator)
    sessions = page.get_by_role("table").filter(has_text="Vignette").first
    header = [cell.strip().lower() for cell in sessions.locator("thead th").all_inner_texts()]
    rows = sessions.locator("tbody tr")
    assert rows.count() == 1
    cells = [cell.strip() for cell in rows.first.locator("th, td").all_inner_texts()]
    shown = dict(zip(header, cells, strict=True))
    assert shown["vignette"] == title
    chart = page.get_by_role("img", name=re.compile(f"^Line chart of {TRAINEE[1]}"))
    wait_true(chart, "(img, _) => img.complete && img.naturalWidth > 0", timeout=30)
    for key, score in final_scores().items():
        assert shown[key] == f"{score:g}", (key, shown)
    educator.snap("08-trajectory")


def feedback_page(trainee: Person, recording_url: str, link: str) -> str:
    """Follow the recording page's feedback link (named ``link``); the page's text."""
    page = trainee.page
    page.goto(recording_url)
    nav = page.get_by_role("navigation", name="Feedback and notes")
    nav.get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=re.compile("^Feedback: ")).wait_for()
    return text_of(page)


def release_feedback(educator: Person, code: str) -> None:
    page = educator.page
    educator.go("Feedback")
    row = page.get_by_role("row").filter(has_text=code)
    assert TRAINEE[1] in row.inner_text()  # educators know whose recording it is
    row.get_by_role("button", name="Release").click()
    assert "Feedback released for 1 recording(s)." in flash_text(page)
    educator.snap("09-released")


def expected_feedback_text() -> list[str]:
    """Both raters' comments and the anchor of each final score's level (a 4.5 is read
    against the level-4 anchor)."""
    instrument = load_builtin_instruments()[INSTRUMENT]
    texts = [note for _, note in (NOTE_A, NOTE_B)]
    for dimension in instrument.dimensions:
        level = math.floor(final_scores()[dimension.key])
        texts.append(" ".join(dimension.anchors[level].split()))
    return texts


def shown_scores(page) -> dict[str, str]:
    """Each dimension's "Score: … out of 5" line on the trainee's feedback page."""
    shown = {}
    for key in SCORES_A:
        section = page.locator("section").filter(
            has=page.get_by_role("heading", name=dimension_label(key), exact=True)
        )
        line = section.get_by_text(re.compile(r"^Score: ")).inner_text()
        shown[key] = line
    return shown


def assert_practice_page_after_release(trainee: Person, title: str) -> None:
    """The assignment is done and the session links to its released feedback."""
    page = trainee.page
    trainee.go("My practice")
    assignments = page.get_by_role("region", name="Your assignments")
    assert assignments.get_by_text("done").count() == 1
    assert assignments.get_by_role("link", name=title).count() == 0
    session = page.get_by_role("row").filter(has=page.get_by_role("link", name=title))
    assert session.get_by_role("link", name="released").count() == 1


# -- the story -----------------------------------------------------------------------------


def test_the_whole_loop_from_assignment_to_released_feedback(
    loop_server, browser, fakemic_browser, speech_wav
):
    server = loop_server
    _, words = speech_wav
    due = date.today() + timedelta(days=14)

    educator = Person(browser, server, EDUCATOR)
    assert double_coded_counts(educator) == {}  # nothing double-coded yet
    assert f"No recordings of {TRAINEE[1]} have final scores yet." in open_trajectory(educator)
    title = assign_vignette_to_cohort(educator, due)

    trainee = Person(fakemic_browser, server, TRAINEE, permissions=["microphone"])
    recording_url = record_the_assignment(trainee, title, due, words)

    code = rate_blind(server, browser, RATER_A, SCORES_A, NOTE_A, "04-rater-a")
    assert rate_blind(server, browser, RATER_B, SCORES_B, NOTE_B, "05-rater-b") == code

    adjudicate(educator, code)
    instrument = load_builtin_instruments()[INSTRUMENT]
    assert double_coded_counts(educator) == {d.key: 1 for d in instrument.dimensions}
    educator.snap("07-reliability")
    check_trajectory(educator, title)

    held_back = feedback_page(trainee, recording_url, "Feedback (not released yet)")
    assert "Your feedback is not ready yet" in held_back
    for text in expected_feedback_text():
        assert text not in held_back, text
    assert "Score:" not in held_back
    trainee.snap("10-feedback-held-back")

    release_feedback(educator, code)
    released = feedback_page(trainee, recording_url, "Your feedback")
    assert shown_scores(trainee.page) == {
        key: f"Score: {score:g} out of 5" for key, score in final_scores().items()
    }
    for text in expected_feedback_text():
        assert text in released, text
    assert "Rater A" in released and "Rater B" in released
    trainee.snap("11-feedback-released")
    assert_practice_page_after_release(trainee, title)

    trainee.close()
    educator.close()
