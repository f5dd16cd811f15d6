"""Educator dashboards: cohort overview, trainee trajectory, cohort progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from scipy import stats

from webapp.dashboard import bp as dashboard_bp
from webapp.dashboard.services import change_over_sessions, trend
from webapp.extensions import db
from webapp.models import (
    Assignment,
    FinalScore,
    InstrumentVersion,
    RatingTask,
    Recording,
    Role,
    TaskRole,
    Vignette,
    VignetteVersion,
)
from webapp.reports.memo import MEMO

DIMENSIONS = ("clarity", "empathy", "strengths", "warmth")
START = datetime(2026, 1, 5, 10, tzinfo=UTC)


def registered_app(app_factory):
    """The app with the dashboard registered (until webapp/__init__.py registers it)."""
    application = app_factory()
    if "dashboard" not in application.blueprints:
        application.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(app_factory):
    yield from registered_app(app_factory)


def add_vignette(slug, title, group=None):
    vignette = Vignette(slug=slug)
    db.session.add(
        VignetteVersion(
            vignette=vignette,
            number=1,
            title=title,
            summary="S",
            trainee_brief="B",
            actor_brief={},
            actor_directive="D",
            presenting_concerns=[],
            strengths=[],
            legal_status="L",
            difficulty="moderate",
            content_hash=slug,
            source="test",
            parallel_group=group,
        )
    )
    db.session.flush()
    return vignette


def add_instrument():
    instrument = InstrumentVersion(
        slug="simulated-client",
        version=1,
        title="Simulated client",
        definition={},
        fingerprint="x",
        is_default=True,
    )
    db.session.add(instrument)
    db.session.flush()
    return instrument


def add_session(trainee_id, vignette, instrument, when, scores):
    """A recording with final scores (``scores``: dimension -> score)."""
    recording = Recording(
        trainee_id=trainee_id,
        vignette_version_id=vignette.current.id,
        storage_key=f"k{trainee_id}-{when:%Y%m%d%H%M%S}-{vignette.id}",
        status="ready",
        created_at=when,
    )
    db.session.add(recording)
    db.session.flush()
    for dimension, score in scores.items():
        db.session.add(
            FinalScore(
                recording_id=recording.id,
                instrument_version_id=instrument.id,
                dimension=dimension,
                score=score,
                method="single",
            )
        )
    return recording


# Ada: four sessions; Ben: one; Cy (other cohort): two.
ADA = [
    {"clarity": 2, "empathy": 3, "strengths": 2, "warmth": 3},
    {"clarity": 3, "empathy": 3, "strengths": 2, "warmth": 2.5},
    {"clarity": 3, "empathy": 4, "strengths": 3, "warmth": 3},
    {"clarity": 4, "empathy": 3.5, "strengths": 4, "warmth": 3},
]
BEN = [{"clarity": 4, "empathy": 4, "strengths": 3, "warmth": 4}]
CY = [
    {"clarity": 5, "empathy": 2, "strengths": 3, "warmth": 4},
    {"clarity": 3, "empathy": 2, "strengths": 4, "warmth": 4},
]


@pytest.fixture
def seeded(app, make_user, make_cohort):
    spring, autumn = make_cohort("Spring"), make_cohort("Autumn")
    ids = {
        "ada": make_user(Role.TRAINEE, name="Ada Trainee", cohort_id=spring),
        "ben": make_user(Role.TRAINEE, name="Ben Trainee", cohort_id=spring),
        "cy": make_user(Role.TRAINEE, name="Cy Trainee", cohort_id=autumn),
        "rater": make_user(Role.RATER, name="Rita Rater"),
        "spring": spring,
        "autumn": autumn,
    }
    with app.app_context():
        instrument = add_instrument()
        first = add_vignette("late", "Late and hungry", group="home-visit")
        second = add_vignette("tired", "Tired and unkempt", group="home-visit")
        recordings = []
        for name, sessions in (("ada", ADA), ("ben", BEN), ("cy", CY)):
            for index, scores in enumerate(sessions):
                vignette = first if index % 2 == 0 else second
                when = START + timedelta(days=30 * index, hours=len(name))
                recordings.append(add_session(ids[name], vignette, instrument, when, scores))
        open_recording = add_session(
            ids["ben"], second, instrument, START + timedelta(days=100), {}
        )
        for recording in (open_recording, recordings[0]):
            db.session.add(
                RatingTask(
                    recording_id=recording.id,
                    rater_id=ids["rater"],
                    instrument_version_id=instrument.id,
                    role=TaskRole.PRIMARY,
                    status="open",
                )
            )
        db.session.add(
            Assignment(vignette_id=first.id, cohort_id=spring, time_point="Before the block")
        )
        db.session.commit()
        ids["first_recording"] = recordings[0].id
    return ids


@pytest.fixture
def educator(seeded, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    return browser


def test_trend_arrow_reads_up_down_and_unchanged():
    assert trend(4, 3) == {"arrow": "↑", "label": "up from 3", "previous": 3}
    assert trend(2.5, 3)["label"] == "down from 3"
    assert trend(3, 3)["arrow"] == "→"
    assert trend(3, None) is None


def test_overview_shows_latest_score_and_trend_per_trainee(educator, seeded):
    html = educator.get("/dashboard/").get_data(as_text=True)
    assert "Ada Trainee" in html and "Cy Trainee" in html
    # Ada's latest clarity is 4, up from 3; empathy 3.5, down from 4; warmth 3 = 3.
    assert '4 <span aria-label="up from 3"' in html
    assert '3.5 <span aria-label="down from 4"' in html
    assert 'aria-label="unchanged from 3"' in html
    assert 'aria-label="down from 5"' in html  # Cy's clarity 5 -> 3


def test_overview_reports_pending_work(educator):
    html = educator.get("/dashboard/").get_data(as_text=True)
    assert "Recordings awaiting rating: <strong>2</strong>" in html
    assert "Recordings awaiting adjudication: <strong>0</strong>" in html
    assert '<th scope="row">Rita Rater</th><td class="num">2</td>' in html


def test_overview_filters_by_cohort_vignette_and_period(educator, seeded):
    html = educator.get(f"/dashboard/?cohort={seeded['spring']}").get_data(as_text=True)
    assert "Ada Trainee" in html and "Cy Trainee" not in html
    # Only "Late and hungry" sessions: Ada's 1st and 3rd, so clarity 3 up from 2.
    late = educator.get(f"/dashboard/?cohort={seeded['spring']}&vignette=1").get_data(as_text=True)
    assert '3 <span aria-label="up from 2"' in late
    # Only January: one session each, so no arrows at all.
    january = educator.get("/dashboard/?start=2026-01-01&end=2026-01-31").get_data(as_text=True)
    assert 'aria-label="up' not in january and 'aria-label="down' not in january


def test_trajectory_lists_sessions_with_links_and_a_chart(educator, seeded):
    page = educator.get(f"/dashboard/trainees/{seeded['ada']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/practice/recordings/{seeded["first_recording"]}"' in html
    assert "Late and hungry" in html and "Tired and unkempt" in html
    assert "trajectory.svg" in html and "least squares" in html
    svg = educator.get(f"/dashboard/trainees/{seeded['ada']}/trajectory.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "Final scores per session" in text and "Session" in text and "Final score" in text


def test_trajectory_change_interval_is_the_slope_t_interval(app, seeded):
    with app.app_context():
        from webapp.dashboard.services import build_trajectory

        changes = {
            c["dimension"]: c
            for c in build_trajectory("simulated-client", seeded["ada"])["changes"]
        }
    ys = [s["clarity"] for s in ADA]
    fit = stats.linregress([1, 2, 3, 4], ys)
    half = stats.t.ppf(0.975, 2) * fit.stderr
    clarity = changes["clarity"]
    assert clarity["raw_change"] == 2
    assert clarity["slope"] == pytest.approx(fit.slope)
    assert clarity["slope_ci"] == pytest.approx([fit.slope - half, fit.slope + half])
    assert clarity["fitted_change"] == pytest.approx(3 * fit.slope)
    assert clarity["fitted_change_ci"][1] == pytest.approx(3 * (fit.slope + half))


def test_two_sessions_are_too_few_for_an_interval(educator, seeded):
    result = change_over_sessions("clarity", [(1, 5.0), (2, 3.0)])
    assert result["raw_change"] == -2 and result["slope_ci"] is None
    assert result["note"] == "too few sessions for an interval"
    html = educator.get(f"/dashboard/trainees/{seeded['cy']}").get_data(as_text=True)
    assert "too few sessions for an interval" in html


def test_non_trainee_has_no_trajectory(educator, seeded):
    assert educator.get(f"/dashboard/trainees/{seeded['rater']}").status_code == 404
    assert educator.get("/dashboard/trainees/9999").status_code == 404


def test_cohort_progress_groups_by_time_point_label_then_month(app, educator, seeded):
    with app.app_context():
        from webapp.dashboard.progress import build_progress

        progress = build_progress("simulated-client", seeded["spring"])
    # "Late and hungry" was assigned to Spring as "Before the block"; the rest by month.
    assert progress["time_points"] == ["Before the block", "2026-02", "2026-04"]
    clarity = next(d for d in progress["dimensions"] if d["dimension"] == "clarity")
    before = clarity["cells"][0]
    # Ada's two "Late and hungry" sessions average (2 + 3) / 2; Ben's one is 4.
    assert before["n"] == 2 and before["mean"] == pytest.approx((2.5 + 4) / 2)
    html = educator.get(f"/dashboard/cohorts/{seeded['spring']}").get_data(as_text=True)
    assert "not independent" in html and "Before the block" in html
    svg = educator.get(f"/dashboard/cohorts/{seeded['spring']}/progress.svg").get_data(as_text=True)
    assert "mean final score by time point" in svg and "Time point" in svg


def test_cohort_progress_compares_first_and_last_time_points(app, seeded, make_user):
    pairs = [(2, 4), (3, 3), (1, 4)]
    trainees = [make_user(Role.TRAINEE, cohort_id=seeded["autumn"]) for _ in pairs]
    with app.app_context():
        from webapp.dashboard.progress import build_progress

        instrument = db.session.scalar(sa.select(InstrumentVersion))
        vignette = db.session.scalar(sa.select(Vignette).filter_by(slug="tired"))
        later = START + timedelta(days=200)
        for number, (trainee, (before, after)) in enumerate(zip(trainees, pairs, strict=True)):
            early = START - timedelta(days=1)
            add_session(trainee, vignette, instrument, early, {"clarity": before})
            late = later + timedelta(hours=number)
            add_session(trainee, vignette, instrument, late, {"clarity": after})
        db.session.commit()
        progress = build_progress("simulated-client", seeded["autumn"])
    scores = {"first": [b for b, _ in pairs], "last": [a for _, a in pairs]}
    clarity = next(d for d in progress["dimensions"] if d["dimension"] == "clarity")
    comparison = clarity["comparison"]
    assert comparison["first"] == "2026-01" and comparison["last"] == "2026-07"
    # Cy's January clarity 5 joins the three new trainees at the first time point.
    welch = stats.ttest_ind(scores["last"], [5, *scores["first"]], equal_var=False)
    assert comparison["t_welch"] == pytest.approx(welch.statistic)
    assert comparison["p_welch"] == pytest.approx(welch.pvalue)


@pytest.mark.parametrize("role", [Role.RATER, Role.TRAINEE, Role.ACTOR])
def test_only_educators_and_admins_see_dashboards(seeded, login_as, role):
    browser, _ = login_as(role)
    for url in (
        "/dashboard/",
        f"/dashboard/trainees/{seeded['ada']}",
        f"/dashboard/trainees/{seeded['ada']}/trajectory.svg",
        f"/dashboard/cohorts/{seeded['spring']}",
        f"/dashboard/cohorts/{seeded['spring']}/progress.svg",
        "/dashboard/assignments",
    ):
        assert browser.get(url).status_code == 403, url


def test_admin_sees_the_overview(seeded, login_as):
    browser, _ = login_as(Role.ADMIN)
    assert browser.get("/dashboard/").status_code == 200


def seed_many(app, make_user, count):
    rater = make_user(Role.RATER)
    with app.app_context():
        instrument = db.session.scalar(sa.select(InstrumentVersion)) or add_instrument()
        vignette = db.session.scalar(sa.select(Vignette)) or add_vignette("v", "V")
        db.session.commit()
    ids = [make_user(Role.TRAINEE) for _ in range(count)]
    with app.app_context():
        instrument = db.session.scalar(sa.select(InstrumentVersion))
        vignette = db.session.scalar(sa.select(Vignette))
        for trainee in ids:
            for index in range(3):
                when = START + timedelta(days=index)
                recording = add_session(
                    trainee, vignette, instrument, when, dict.fromkeys(DIMENSIONS, 3)
                )
            db.session.add(
                RatingTask(
                    recording_id=recording.id,
                    rater_id=rater,
                    instrument_version_id=instrument.id,
                    role=TaskRole.PRIMARY,
                )
            )
        db.session.commit()


def count_statements(app, browser, url):
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = browser.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return counter["n"]


def test_overview_query_count_does_not_grow_with_trainees(app, make_user, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    seed_many(app, make_user, 5)
    browser.get("/dashboard/")  # warm caches (instrument list, session user)
    app.extensions.pop(MEMO)  # count the queries of the full computation, twice
    few = count_statements(app, browser, "/dashboard/")
    seed_many(app, make_user, 15)
    app.extensions.pop(MEMO)
    many = count_statements(app, browser, "/dashboard/")
    html = browser.get("/dashboard/").get_data(as_text=True)
    assert html.count('href="/dashboard/trainees/') == 20
    assert few == many > 0


def test_equal_scores_on_two_dimensions_stay_visible_in_the_trajectory():
    import re
    from datetime import datetime

    from webapp.dashboard.plots import trajectory_svg

    session = {"number": 1, "recorded_at": datetime(2026, 3, 1), "scores": {"a": 3.0, "b": 3.0}}
    svg = trajectory_svg("Trajectory", ["a", "b"], [session])
    # coloured markers only (tick marks are black); the legend's markers sit on other rows
    coloured = r'<use xlink:href="#[^"]+" x="([0-9.]+)" y="([0-9.]+)" style="fill: #(?!000000)'
    markers = re.findall(coloured, svg)
    lowest = max(float(y) for _, y in markers)  # SVG y grows downwards; the legend is at the top
    data_row = [x for x, y in markers if float(y) == lowest]
    assert len(data_row) == 2
    assert len(set(data_row)) == 2, "the two equal points must not be drawn on top of each other"
