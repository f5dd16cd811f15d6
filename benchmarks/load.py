"""Page latency and throughput under 50 concurrent users, against a trivial Flask route.

Seeds an empty database in bulk (``benchmarks/load_seed.py``: 2,000 trainees, 10,000
recordings, 30,000 ratings by default), serves the app as production would on this
machine (gunicorn, gthread workers, on a free loopback port, SQLite in WAL mode unless
``--database-url`` names an empty PostgreSQL database), and logs every simulated user in
through the real login form with its CSRF token (the login rate limit is raised for the
run).  Every user then makes one unmeasured pass (warm-up: each worker imports its modules
and computes the kept reliability report; the slowest first views are printed).  Then:

1. **latency**: ``--users`` concurrent users for ``--seconds``.  Raters (60 %) open their
   queue, open a recording from it and sometimes save a draft; educators open the cohort
   overview (all cohorts and one), a trainee's trajectory, a cohort's progress, the
   reliability report and the group comparison.  Each user waits a random think time
   between requests (uniform, mean ``--think`` seconds, default 5: people read pages;
   ``--think 1`` is a stress test that saturates two shared cores).  Printed per page:
   requests, errors, p50/p95/p99 and whether p95 meets its target (rater pages 100 ms,
   dashboards and reports 300 ms).  Any error or missed target makes the exit status 1.
2. **throughput**: the same users with no think time for ``--throughput-seconds``, on the
   app's page mix and then on the baseline, a one-line Flask route served by the same
   gunicorn settings; printed as requests per second and the ratio app / baseline.

The load clients run in this process (threads, keep-alive connections), on the same two
cores as the server, so the machine's load average is printed before and after.

    .venv/bin/python -m benchmarks.load --quick          # a smoke run, about a minute
    .venv/bin/python -m benchmarks.load [--users 50 --seconds 60 --think 5 --trainees 2000
        --recordings 10000 --ratings 30000 --workers 4 --threads 4 --database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from benchmarks.load_seed import Seeded, Sizes

RATER_TARGET_MS = 100
REPORT_TARGET_MS = 300
TARGETS = {
    "rater queue": RATER_TARGET_MS,
    "rating page": RATER_TARGET_MS,
    "rating draft save": RATER_TARGET_MS,
    "overview, all cohorts": REPORT_TARGET_MS,
    "overview, one cohort": REPORT_TARGET_MS,
    "trainee trajectory": REPORT_TARGET_MS,
    "cohort progress": REPORT_TARGET_MS,
    "reliability report": REPORT_TARGET_MS,
    "group comparison": REPORT_TARGET_MS,
}
RATER_SHARE = 0.6
DRAFT_CHANCE = 0.3
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
QUEUE_CODE = re.compile(r'href="/review/(R-[0-9A-Z]{4}-[0-9A-Z]{4})"')
SCORE_FIELD = re.compile(r'name="score-([a-z_]+)"')


def trivial_app() -> Flask:
    """The baseline: one route, no database, no templates, served like the app."""
    app = Flask("trivial")
    app.add_url_rule("/", "index", lambda: "ok")
    return app


# -- HTTP client -----------------------------------------------------------------------


class Browser:
    """One logged-in person: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (http.client.HTTPException, ConnectionError):
                # The server may close an idle keep-alive connection; reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def log_in(self, email: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        status, _ = self.request(
            "POST", "/login", {"email": email, "password": password, "csrf_token": token}
        )
        if status != 302:
            raise RuntimeError(f"login of {email} failed with HTTP {status}")


# -- what users do ---------------------------------------------------------------------


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[page].append(seconds)
            if error:
                self.errors[page].append(error)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def timed(
    browser: Browser,
    results: Results,
    page: str,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    expect: int = 200,
) -> str:
    start = time.perf_counter()
    try:
        status, text = browser.request(method, path, form)
        error = None if status == expect else f"HTTP {status} for {method} {path}"
    except OSError as exc:
        text, error = "", f"{type(exc).__name__} for {method} {path}: {exc}"
    results.add(page, time.perf_counter() - start, error)
    return text


def rater_steps(browser: Browser, results: Results, rng: random.Random) -> Iterator[None]:
    while True:
        queue = timed(browser, results, "rater queue", "GET", "/review/")
        yield
        to_rate = queue.split('<h2 id="submitted">')[0]
        codes = QUEUE_CODE.findall(to_rate) or QUEUE_CODE.findall(queue)
        if not codes:
            continue
        code = rng.choice(codes)
        page = timed(browser, results, "rating page", "GET", f"/review/{code}")
        yield
        token, keys = CSRF.search(page), sorted(set(SCORE_FIELD.findall(page)))
        if code in to_rate and token and keys and rng.random() < DRAFT_CHANCE:
            form = {f"score-{k}": str(rng.randint(1, 5)) for k in keys}
            form |= {"csrf_token": token.group(1), "action": "draft", "mode": "read"}
            timed(browser, results, "rating draft save", "POST", f"/review/{code}", form, 303)
            yield


def educator_steps(
    browser: Browser,
    results: Results,
    rng: random.Random,
    trainees: list[int],
    cohorts: list[tuple[int, str]],
) -> Iterator[None]:
    while True:
        cohort_id, cohort_name = rng.choice(cohorts)
        other = rng.choice([c for c in cohorts if c[0] != cohort_id])[1]
        compare = urllib.parse.urlencode([("cohort", cohort_name), ("cohort", other)])
        visits = [
            ("overview, all cohorts", "/dashboard/"),
            ("overview, one cohort", f"/dashboard/?cohort={cohort_id}"),
            ("trainee trajectory", f"/dashboard/trainees/{rng.choice(trainees)}"),
            ("cohort progress", f"/dashboard/cohorts/{cohort_id}"),
            ("reliability report", "/reports/reliability"),
            ("group comparison", f"/reports/compare?{compare}"),
        ]
        for page, path in rng.sample(visits, len(visits)):
            timed(browser, results, page, "GET", path)
            yield


def drive(
    users: list[Iterator[None]],
    seconds: float,
    think: float,
    rng: random.Random,
    max_steps: int | None = None,
) -> None:
    """Run every user's steps in its own thread until the time (or ``max_steps``) is up."""
    deadline = time.monotonic() + seconds

    def run(steps: Iterator[None], seed: int) -> None:
        pause = random.Random(seed)
        # People arrive spread out, not all in the same millisecond; and nobody starts a
        # request at the deadline just because their think time was cut short.
        time.sleep(pause.uniform(0, think))
        for done, _ in enumerate(steps, start=1):
            wait = pause.uniform(0.5 * think, 1.5 * think)
            if time.monotonic() + wait >= deadline or done == max_steps:
                return
            time.sleep(wait)

    threads = [threading.Thread(target=run, args=(u, rng.random())) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(
    app_spec: str, env: dict[str, str], args: argparse.Namespace, probe: str
) -> Iterator[tuple[int, int]]:
    """gunicorn with gthread workers on a free loopback port (yields port and pid)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "75",
        app_spec,
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(240):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", probe)
                connection.getresponse().read()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with status {server.returncode}") from None
                time.sleep(0.25)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def server_environment(data_dir: str, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "load-benchmark-" + os.urandom(8).hex(),
        "DATA_DIR": data_dir,
        "EMBEDDED_WORKER": "0",
        "LOGIN_RATE_LIMIT": "100000 per minute",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def seed_database(env: dict[str, str], sizes: Sizes, rng: random.Random) -> Seeded:
    os.environ.update(env)
    from flask_migrate import upgrade

    from benchmarks.load_seed import seed
    from webapp import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        return seed(sizes, Path(app.config["VIGNETTE_DIR"]), rng)


# -- report ----------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ms = sorted(v * 1000 for v in values)
    if len(ms) == 1:
        return ms[0], ms[0], ms[0]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def print_latency(results: Results, alone: Results) -> bool:
    columns = ("requests", "errors", "p50 ms", "p95 ms", "p99 ms", "alone")
    print(f"\n{'page':<24}" + "".join(f"{c:>9}" for c in columns) + f"{'target':>8}  met?")
    all_met = True
    for page, target in TARGETS.items():
        values = results.latencies.get(page, [])
        errors = len(results.errors.get(page, []))
        if not values:
            print(f"{page:<24}{0:>9}")
            continue
        p50, p95, p99 = percentiles(values)
        solo = percentiles(alone.latencies[page])[0] if alone.latencies.get(page) else float("nan")
        met = p95 < target and errors == 0
        all_met &= met
        figures = f"{len(values):>9}{errors:>9}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{solo:>9.1f}"
        print(f"{page:<24}{figures}{target:>8}  {'yes' if met else 'NO'}")
    print("(alone: median of the same page requested by one user at a time, nothing else running)")
    for page, messages in results.errors.items():
        print(f"  errors on {page}: {messages[:3]}")
    return all_met


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- main ------------------------------------------------------------------------------


def log_in_users(port: int, seeded: Seeded, count: int, password: str) -> list[tuple[str, Browser]]:
    """Each user logs in once, through the login form, with its own account."""
    raters = max(1, round(count * RATER_SHARE))
    users = []
    for i in range(count):
        browser = Browser(port)
        if i < raters:
            browser.log_in(seeded.raters[i], password)
            users.append(("rater", browser))
        else:
            browser.log_in(seeded.educators[i - raters], password)
            users.append(("educator", browser))
    return users


def steps_for(
    users: list[tuple[str, Browser]], seeded: Seeded, results: Results, rng: random.Random
) -> list[Iterator[None]]:
    cohorts = list(zip(seeded.cohort_ids, seeded.cohort_names, strict=True))
    return [
        rater_steps(browser, results, random.Random(rng.random()))
        if kind == "rater"
        else educator_steps(
            browser, results, random.Random(rng.random()), seeded.trainee_ids, cohorts
        )
        for kind, browser in users
    ]


def trivial_users(port: int, count: int, results: Results) -> list[Iterator[None]]:
    def steps(browser: Browser) -> Iterator[None]:
        while True:
            timed(browser, results, "trivial route", "GET", "/")
            yield

    return [steps(Browser(port)) for _ in range(count)]


def warm_up(users: list[tuple[str, Browser]], seeded: Seeded, rng: random.Random) -> None:
    """One pass of every user's loop before measuring, as load tests do: each server
    worker imports its modules and computes the kept reliability report.  The slowest
    first views are printed, since a real first viewer after a rating change waits that."""
    results = Results()
    drive(steps_for(users, seeded, results, rng), 600, 0, rng, max_steps=len(TARGETS))
    slowest = sorted(((max(v), page) for page, v in results.latencies.items()), reverse=True)
    shown = ", ".join(f"{page} {seconds:.1f} s" for seconds, page in slowest[:3])
    print(
        f"warm-up: {results.total} requests, {sum(map(len, results.errors.values()))} errors; "
        f"slowest first views: {shown}"
    )


def measure_alone(users: list[tuple[str, Browser]], seeded: Seeded, rng: random.Random) -> Results:
    """Each page requested by one user at a time: the page's own cost on this machine."""
    results = Results()
    for kind in ("rater", "educator"):
        one = [next(user for user in users if user[0] == kind)]
        drive(steps_for(one, seeded, results, rng), 600, 0, rng, max_steps=8 * len(TARGETS))
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--throughput-seconds", type=float, default=15)
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean think time between requests (s)"
    )
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--recordings", type=int, default=10000)
    parser.add_argument("--ratings", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--quick", action="store_true", help="small data, 10 users, 10 s: a smoke run"
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.throughput_seconds = 10, 10, 3
        args.trainees, args.recordings, args.ratings = 200, 1000, 3000
    return args


def main() -> None:
    args = parse_args()
    from benchmarks.load_seed import PASSWORD, Sizes

    rng = random.Random(args.seed)
    raters = max(1, round(args.users * RATER_SHARE))
    sizes = Sizes(
        args.trainees, args.recordings, args.ratings, max(raters, 20), max(args.users - raters, 1)
    )
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as data_dir:
        env = server_environment(data_dir, args.database_url)
        start = time.perf_counter()
        seeded = seed_database(env, sizes, rng)
        counts = ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
        print(f"seeded {counts} in {time.perf_counter() - start:.1f} s")
        latency, saturated, baseline = Results(), Results(), Results()
        with served("webapp:create_app()", env, args, "/login") as (port, pid):
            users = log_in_users(port, seeded, args.users, PASSWORD)
            warm_up(users, seeded, rng)
            alone = measure_alone(users, seeded, rng)
            cpu_before = cpu_seconds(pid)
            print(
                f"{args.users} users logged in and warmed up; {args.seconds:g} s of load, ", end=""
            )
            print(f"mean think time {args.think:g} s")
            drive(steps_for(users, seeded, latency, rng), args.seconds, args.think, rng)
            cpu_ms = 1000 * (cpu_seconds(pid) - cpu_before) / max(latency.total, 1)
            print(f"server CPU per request during the latency run: {cpu_ms:.1f} ms")
            print(f"load average after latency run: {load_average()}")
            drive(steps_for(users, seeded, saturated, rng), args.throughput_seconds, 0, rng)
        with served("benchmarks.load:trivial_app()", env, args, "/") as (port, _):
            drive(trivial_users(port, args.users, baseline), args.throughput_seconds, 0, rng)
    all_met = print_latency(latency, alone)
    app_rate = saturated.total / args.throughput_seconds
    base_rate = baseline.total / args.throughput_seconds
    failures = sum(len(v) for r in (saturated, baseline) for v in r.errors.values())
    print(
        f"\nthroughput with no think time ({args.users} users, {args.throughput_seconds:g} s each, "
        f"gunicorn gthread {args.workers} workers x {args.threads} threads):"
    )
    print(f"  app page mix:  {app_rate:8.1f} req/s")
    print(f"  trivial route: {base_rate:8.1f} req/s (baseline)")
    print(f"  ratio app/baseline: {app_rate / base_rate:.3f}   errors: {failures}")
    print(f"load average after: {load_average()}")
    sys.exit(0 if all_met and failures == 0 else 1)


if __name__ == "__main__":
    main()
