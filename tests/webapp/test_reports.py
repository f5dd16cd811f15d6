"""Reliability report, group comparison and scale checks from ratings in the database."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from webapp.extensions import db
from webapp.models import (
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    Role,
    TaskRole,
    Vignette,
    VignetteVersion,
)
from webapp.orm import utcnow

DIMENSIONS = ("clarity", "empathy", "warmth", "strengths")
# Two coders' scores for 8 double-coded recordings (dimension -> (first, second)).
FIRST = {
    "clarity": [1, 2, 3, 4, 5, 3, 2, 4],
    "empathy": [2, 2, 3, 5, 4, 3, 1, 4],
    "warmth": [3, 3, 3, 3, 3, 3, 3, 4],
    "strengths": [1, 3, 2, 4, 5, 2, 2, 3],
}
SECOND = {
    "clarity": [1, 3, 3, 4, 4, 3, 2, 5],
    "empathy": [1, 2, 4, 5, 4, 2, 2, 4],
    "warmth": [3, 3, 4, 3, 3, 3, 3, 3],
    "strengths": [2, 3, 2, 5, 5, 1, 2, 3],
}


def seed_ratings(app, make_user, make_cohort, count=8):
    """``count`` (at most 8) double-coded recordings by two raters; final scores for two cohorts."""
    rater_a = make_user(Role.RATER, name="Rater Ada")
    rater_b = make_user(Role.RATER, name="Rater Bo")
    cohorts = [make_cohort("Spring"), make_cohort("Autumn")]
    trainees = [make_user(Role.TRAINEE, cohort_id=cohorts[i % 2]) for i in range(count)]
    with app.app_context():
        instrument = InstrumentVersion(
            slug="simulated-client",
            version=1,
            title="Simulated client",
            definition={},
            fingerprint="x",
            is_default=True,
        )
        vignette = Vignette(slug="v")
        version = VignetteVersion(
            vignette=vignette,
            number=1,
            title="T",
            summary="S",
            trainee_brief="B",
            actor_brief={},
            actor_directive="D",
            presenting_concerns=[],
            strengths=[],
            legal_status="L",
            difficulty="moderate",
            content_hash="h",
            source="test",
        )
        db.session.add_all([instrument, version])
        db.session.flush()
        for index, trainee in enumerate(trainees):
            recording = Recording(
                trainee_id=trainee,
                vignette_version_id=version.id,
                storage_key=f"k{index}",
                public_code=f"R-TEST-{index:04d}",
            )
            db.session.add(recording)
            db.session.flush()
            for role, rater, table in (
                (TaskRole.PRIMARY, rater_a, FIRST),
                (TaskRole.SECOND, rater_b, SECOND),
            ):
                add_rating(
                    recording, rater, role, instrument, {d: table[d][index] for d in DIMENSIONS}
                )
            for d in DIMENSIONS:
                mean = (FIRST[d][index] + SECOND[d][index]) / 2
                db.session.add(
                    FinalScore(
                        recording_id=recording.id,
                        instrument_version_id=instrument.id,
                        dimension=d,
                        score=mean,
                        method="mean",
                    )
                )
        db.session.commit()


def add_rating(recording, rater, role, instrument, scores):
    task = RatingTask(
        recording_id=recording.id,
        rater_id=rater,
        role=role,
        instrument_version_id=instrument.id,
        status="submitted",
    )
    rating = Rating(status=RatingStatus.SUBMITTED, submitted_at=utcnow(), mode="both")
    rating.scores = [RatingScore(dimension=d, score=s, note="") for d, s in scores.items()]
    task.ratings = [rating]
    db.session.add(task)


@pytest.fixture
def educator(app, make_user, make_cohort, login_as):
    seed_ratings(app, make_user, make_cohort)
    browser, _ = login_as(Role.EDUCATOR)
    return browser


def test_reliability_json_matches_an_independent_computation(educator):
    report = educator.get("/reports/reliability.json").get_json()
    rows = {row["dimension"]: row for row in report["dimensions"]}
    assert set(rows) == set(DIMENSIONS)
    for dimension in DIMENSIONS:
        expected = stats.pearsonr(FIRST[dimension], SECOND[dimension]).statistic
        assert rows[dimension]["pearson_r"] == pytest.approx(expected, abs=1e-3)
        exact = np.mean(np.array(FIRST[dimension]) == np.array(SECOND[dimension]))
        assert rows[dimension]["exact_agreement"] == pytest.approx(exact, abs=1e-3)
        assert rows[dimension]["n_double_coded"] == 8
        assert any("30" in w for w in rows[dimension]["warnings"])  # too few to trust
    assert rows["clarity"]["passes"] is True and rows["warmth"]["passes"] is False
    low, high = rows["clarity"]["alpha_ordinal_ci"]  # percentile bootstrap over recordings
    assert low <= rows["clarity"]["alpha_ordinal"] <= high


def test_reliability_page_csv_and_cli(app, educator):
    html = educator.get("/reports/reliability").get_data(as_text=True)
    assert "Pearson r" in html and "Which statistic answers which question" in html
    assert "Rater Ada" in html  # the rater-pair matrix names raters for educators
    csv_text = educator.get("/reports/reliability.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("dimension,n_double_coded,pearson_r")
    assert len(csv_text.splitlines()) == 5
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rating", "report"])
    assert result.exit_code == 0, result.output
    assert "clarity" in result.output and "yes" in result.output
    as_json = json.loads(runner.invoke(args=["rating", "report", "--json"]).output)
    assert as_json["n_ratings"] == 64


def test_group_comparison_reports_both_t_tests_with_marks(educator):
    url = "/reports/compare.json?cohort=Spring&cohort=Autumn"
    result = educator.get(url).get_json()
    clarity = next(d for d in result["dimensions"] if d["dimension"] == "clarity")
    spring = [(FIRST["clarity"][i] + SECOND["clarity"][i]) / 2 for i in range(0, 8, 2)]
    autumn = [(FIRST["clarity"][i] + SECOND["clarity"][i]) / 2 for i in range(1, 8, 2)]
    welch = stats.ttest_ind(spring, autumn, equal_var=False)
    pooled = stats.ttest_ind(spring, autumn, equal_var=True)
    assert clarity["tests"]["t_welch"] == pytest.approx(welch.statistic, abs=1e-3)
    assert clarity["tests"]["p_pooled"] == pytest.approx(pooled.pvalue, abs=1e-3)
    assert clarity["summary"][0]["n"] == 4
    html = educator.get("/reports/compare?cohort=Spring&cohort=Autumn").get_data(as_text=True)
    assert "Welch's t-test" in html and "may reflect who joined each group" in html
    assert "Mean (SD)" in html


def test_one_cohort_against_the_rest(educator):
    result = educator.get("/reports/compare.json?cohort=Spring&against_rest=1").get_json()
    assert result["groups"] == ["Spring", "All other trainees"]


def test_group_chart_is_an_svg_with_title_and_axis_labels(educator):
    response = educator.get("/reports/compare.svg?cohort=Spring&cohort=Autumn")
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Final scores by group" in svg and "Dimension" in svg


def test_comparison_needs_two_groups(educator):
    response = educator.get("/reports/compare?cohort=Spring")
    assert response.status_code == 422
    assert "at least two cohorts" in response.get_data(as_text=True)


def test_scale_checks_page(educator):
    html = educator.get("/reports/scale-checks").get_data(as_text=True)
    assert "Reliability r" in html and "clarity" in html


def test_raters_and_trainees_cannot_see_reports(login_as):
    for role in (Role.RATER, Role.TRAINEE, Role.ACTOR):
        browser, _ = login_as(role)
        assert browser.get("/reports/reliability").status_code == 403


def test_empty_report_is_friendly(login_as):
    browser, _ = login_as(Role.EDUCATOR)
    html = browser.get("/reports/reliability").get_data(as_text=True)
    assert "No double-coded ratings yet" in html


def test_one_double_coded_recording_reads_as_not_enough_data(app, make_user, make_cohort, login_as):
    seed_ratings(app, make_user, make_cohort, count=1)
    browser, _ = login_as(Role.EDUCATOR)
    html = browser.get("/reports/reliability").get_data(as_text=True)
    assert html.count("not enough data") == len(DIMENSIONS)
    assert "below 0.7" not in html
    # the library's reason stays available, folded away, for whoever wants it
    assert "Technical detail" in html


def test_enough_data_still_gets_a_verdict(educator):
    html = educator.get("/reports/reliability").get_data(as_text=True)
    assert "not enough data" not in html
    assert "reliable" in html or "below 0.7" in html
