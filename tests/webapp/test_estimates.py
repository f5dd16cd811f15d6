"""The advisory classifier: training on the app's data, evaluation, estimates, the model page."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from rating.synthetic import generate_corpus
from tests.conftest import PASSWORD, AuthActions, make_test_config, reset_schema
from webapp import create_app
from webapp.admin.services import UserDetails, create_user
from webapp.auth.passwords import hash_password
from webapp.estimates.demo import load_demo_training_archive
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import AuditEvent, Cohort, FinalScore, Recording, Role, User, UserRole

VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"
ROUTES = (
    "/estimates/",
    "/estimates/learning-curve.svg",
    "/estimates/card.json",
    "/estimates/recordings/{id}",
)


@pytest.fixture
def models_dir(tmp_path):
    return tmp_path / "models"


@pytest.fixture
def app(app_factory, models_dir):
    return app_factory(MODELS_DIR=str(models_dir))


def seed_archive(app) -> list[int]:
    """Demo raters, educator and vignettes, then the synthetic archive (80 text-only records)."""
    with app.app_context():
        db.session.add_all([Cohort(name="Spring"), Cohort(name="Autumn")])
        for email, role in (
            ("rater1@example.org", Role.RATER),
            ("rater2@example.org", Role.RATER),
            ("educator@example.org", Role.EDUCATOR),
        ):
            create_user(UserDetails(email, email, frozenset({role}), None), PASSWORD)
        import_vignettes(VIGNETTES)
        assert load_demo_training_archive() == 80
        db.session.commit()
        return list(db.session.scalars(sa.select(Recording.id).order_by(Recording.id)))


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory):
    """Train once through the CLI; seeding is deterministic, so the files fit every test DB."""
    folder = tmp_path_factory.mktemp("trained")
    app = create_app(make_test_config(folder, MODELS_DIR=str(folder / "models")))
    reset_schema(app)
    seed_archive(app)
    result = app.test_cli_runner().invoke(args=["classifier", "train", "--repeats", "1"])
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
        db.session.remove()
        db.engine.dispose()
    return SimpleNamespace(models=folder / "models", result=result, actions=actions)


@pytest.fixture
def archive(app):
    return seed_archive(app)


@pytest.fixture
def trained(archive, trained_once, models_dir):
    assert trained_once.result.exit_code == 0, trained_once.result.output
    shutil.copytree(trained_once.models, models_dir)
    return trained_once


def first_code(app, recording_id):
    with app.app_context():
        return db.session.get(Recording, recording_id).public_code


def test_train_writes_model_and_card_and_prints_the_evaluation(trained, models_dir):
    assert (models_dir / "simulated-client.skops").is_file()
    card = json.loads((models_dir / "simulated-client.card.json").read_text())
    assert card["training"]["n_transcripts"] == 80
    assert card["training"]["n_groups"] == 20
    assert set(card["metrics"]["dimensions"]) == {"clarity", "empathy", "warmth", "strengths"}
    assert card["app"]["instrument"] == "simulated-client"
    assert len(card["app"]["recording_ids"]) == 80
    assert len(card["app"]["learning_curve"]["train_sizes"]) == 4
    for word in ("model", "mean", "permuted", "κw", "empathy", "Saved"):
        assert word in trained.result.output
    assert "classifier.trained" in trained.actions


def test_train_with_too_few_trainees_fails_cleanly(runner):
    result = runner.invoke(args=["classifier", "train"])
    assert result.exit_code == 1
    assert "Error: Too little data" in result.output
    assert "Traceback" not in result.output


def write_csv(path: Path, n: int = 30, *, header=("transcript", "empathy", "person")) -> Path:
    corpus = generate_corpus(n, n_trainees=10, words_per_transcript=300, random_state=3)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for text, score, group in zip(
            corpus.texts, corpus.ratings["empathy"], corpus.groups, strict=True
        ):
            plain = "\n".join(line.split(": ", 1)[1] for line in text.splitlines())
            writer.writerow([plain, score, group])
    return path


def test_evaluate_scores_an_external_csv(runner, tmp_path):
    path = write_csv(tmp_path / "external.csv")
    args = ["classifier", "evaluate", "--csv", str(path), "--text-col", "transcript"]
    args += ["--label-col", "empathy", "--group-col", "person", "--repeats", "1"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "empathy" in result.output and "permuted" in result.output
    as_json = runner.invoke(args=[*args, "--json"])
    summary = json.loads(as_json.output)
    assert summary["cross_validation"]["n_groups"] == 10


@pytest.mark.parametrize(
    ("header", "extra", "message"),
    [
        (("text", "empathy", "person"), [], "no column(s) 'transcript'"),
        (("transcript", "score", "person"), [], "no column(s) 'empathy'"),
        (("transcript", "empathy", "person"), ["--folds", "12"], "fewer than n_splits=12"),
    ],
)
def test_evaluate_explains_bad_input(runner, tmp_path, header, extra, message):
    path = write_csv(tmp_path / "bad.csv", header=header)
    args = ["classifier", "evaluate", "--csv", str(path), "--text-col", "transcript"]
    result = runner.invoke(args=[*args, "--label-col", "empathy", "--group-col", "person", *extra])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_evaluate_refuses_a_label_that_is_not_a_number(runner, tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("transcript,empathy\nworker: Hello there.,high\n")
    args = ["classifier", "evaluate", "--csv", str(path), "--text-col", "transcript"]
    result = runner.invoke(args=[*args, "--label-col", "empathy"])
    assert result.exit_code == 1
    assert "line 2: 'empathy' is 'high', not a number" in result.output


def test_predict_prints_estimates_by_public_code(app, runner, trained, archive):
    code = first_code(app, archive[0])
    result = runner.invoke(args=["classifier", "predict", code])
    assert result.exit_code == 0, result.output
    assert code in result.output and "cross-validated κw" in result.output
    unknown = runner.invoke(args=["classifier", "predict", "R-NONE-NONE"])
    assert unknown.exit_code == 1
    assert "No recording has the code 'R-NONE-NONE'" in unknown.output


def test_predict_without_a_model_says_so(app, runner, archive):
    result = runner.invoke(args=["classifier", "predict", first_code(app, archive[0])])
    assert result.exit_code == 1
    assert "No model has been trained" in result.output


def test_model_page_compares_the_model_with_human_agreement(app, trained, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    html = browser.get("/estimates/").get_data(as_text=True)
    assert "Model against human agreement" in html
    assert "Human κw" in html and "Permuted MAE" in html
    assert "learning-curve.svg" in html and "Learning curve data" in html
    assert "Training data SHA-256" in html
    # Every dimension has double-coded recordings among the training set: a real share.
    assert html.count(" %</td>") >= 4
    svg = browser.get("/estimates/learning-curve.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    for label in ("Learning curve (simulated-client)", "Training transcripts", "weighted kappa"):
        assert label in text
    assert browser.get("/estimates/card.json").get_json()["format"].startswith("simclient")


def test_model_page_without_a_model_explains_how_to_train(app, login_as):
    browser, _ = login_as(Role.ADMIN)
    response = browser.get("/estimates/")
    assert response.status_code == 200
    assert "No model has been trained" in response.get_data(as_text=True)
    assert browser.get("/estimates/learning-curve.svg").status_code == 404


def test_estimates_are_hidden_below_the_threshold_and_shown_above(app, trained, archive, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    url = f"/estimates/recordings/{archive[0]}"
    app.config["ESTIMATE_MIN_QWK"] = 0.99
    hidden = browser.get(url).get_data(as_text=True)
    assert hidden.count("not shown: agreement below 0.99") == 4
    app.config["ESTIMATE_MIN_QWK"] = -1.0
    shown = browser.get(url).get_data(as_text=True)
    assert "not shown" not in shown
    assert shown.count("<strong>") >= 4 and "advice only" in shown
    with app.app_context():
        viewed = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "estimates.viewed")
        ).all()
        db.session.expunge_all()  # loaded values stay readable after the context ends
    assert len(viewed) == 1 and viewed[0].object_id == str(archive[0])


@pytest.mark.parametrize("role", [Role.RATER, Role.ACTOR, Role.TRAINEE])
def test_raters_actors_and_trainees_are_refused_every_route(app, trained, archive, login_as, role):
    browser, _ = login_as(role)
    for route in ROUTES:
        assert browser.get(route.format(id=archive[0])).status_code == 403, route


def archive_trainee_login(app, recording_id: int) -> tuple[object, int]:
    """Let the synthetic trainee of ``recording_id`` log in; returns (browser, cohort id)."""
    with app.app_context():
        trainee = db.session.get(Recording, recording_id).trainee
        trainee.active, trainee.password_hash = True, hash_password(PASSWORD)
        email, cohort_id = trainee.email, trainee.cohort_id
        db.session.commit()
    browser = app.test_client()
    assert AuthActions(browser).login(email).status_code == 302
    return browser, cohort_id


def switch_url(cohort_id: int) -> str:
    return f"/estimates/cohorts/{cohort_id}/trainee-access"


def cohort_switch(app, cohort_id: int) -> bool:
    with app.app_context():
        return db.session.get(Cohort, cohort_id).show_estimates_to_trainees


def other_trainees_recording(app, recording_id: int) -> int:
    with app.app_context():
        own = db.session.get(Recording, recording_id)
        query = sa.select(Recording.id).where(Recording.trainee_id != own.trainee_id)
        return db.session.scalar(query.order_by(Recording.id).limit(1))


def test_educator_switches_estimates_on_for_a_cohort_and_its_trainee_sees_their_own(
    app, trained, archive, login_as, form_post
):
    app.config["ESTIMATE_MIN_QWK"] = -1.0
    trainee, cohort_id = archive_trainee_login(app, archive[0])
    own_page = f"/practice/recordings/{archive[0]}"
    before = trainee.get(own_page)
    assert before.status_code == 200
    assert "Model estimates" not in before.get_data(as_text=True)  # off by default

    educator, educator_id = login_as(Role.EDUCATOR)
    assert "Switch on for" in educator.get("/estimates/").get_data(as_text=True)
    response = form_post(educator, switch_url(cohort_id), {"show": "1"}, "/estimates/")
    assert response.status_code == 302 and cohort_switch(app, cohort_id) is True

    html = trainee.get(own_page).get_data(as_text=True)
    assert "Model estimates" in html and "advice only" in html
    assert "agreed with human final scores in" in html  # the validated-accuracy label
    assert html.count("<strong>") >= 4  # an estimate per dimension, beside its accuracy
    assert "How good is the model?" not in html  # the educators' link is not for trainees
    assert (
        trainee.get(f"/practice/recordings/{other_trainees_recording(app, archive[0])}").status_code
        == 404
    )
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "estimates.trainee_access")
        ).one()
        db.session.expunge_all()  # loaded values stay readable after the context ends
    assert (event.actor_id, event.object_type, event.object_id) == (
        educator_id,
        "Cohort",
        str(cohort_id),
    )
    assert event.detail == {"show_estimates_to_trainees": True, "before": False}

    form_post(educator, switch_url(cohort_id), {"show": "0"}, "/estimates/")
    assert "Model estimates" not in trainee.get(own_page).get_data(as_text=True)


def test_the_switch_is_per_cohort(app, trained, archive, login_as, form_post):
    app.config["ESTIMATE_MIN_QWK"] = -1.0
    trainee, cohort_id = archive_trainee_login(app, archive[0])
    with app.app_context():
        other = db.session.scalar(sa.select(Cohort.id).where(Cohort.id != cohort_id))
    educator, _ = login_as(Role.EDUCATOR)
    form_post(educator, switch_url(other), {"show": "1"}, "/estimates/")
    html = trainee.get(f"/practice/recordings/{archive[0]}").get_data(as_text=True)
    assert "Model estimates" not in html


def test_raters_never_see_estimates_whatever_the_switch(app, trained, archive):
    from webapp.estimates.advice import estimate_panel

    app.config["ESTIMATE_MIN_QWK"] = -1.0
    with app.test_request_context():
        recording = db.session.get(Recording, archive[0])
        trainee = recording.trainee
        trainee.cohort.show_estimates_to_trainees = True
        assert estimate_panel(recording, trainee)["estimate_panel"]["show"] is True
        trainee.role_rows.append(UserRole(role=str(Role.RATER)))  # a trainee who also rates
        assert estimate_panel(recording, trainee)["estimate_panel"]["show"] is False
        rater = db.session.scalar(sa.select(User).where(User.email == "rater1@example.org"))
        rater.cohort_id = trainee.cohort_id
        assert estimate_panel(recording, rater)["estimate_panel"]["show"] is False
        db.session.rollback()


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.RATER, Role.ACTOR])
def test_only_educators_and_admins_switch(app, archive, login_as, form_post, role):
    browser, _ = login_as(role)
    with app.app_context():
        cohort_id = db.session.scalar(sa.select(Cohort.id).limit(1))
    response = form_post(browser, switch_url(cohort_id), {"show": "1"}, "/")
    assert response.status_code == 403
    assert cohort_switch(app, cohort_id) is False


def test_switching_needs_a_csrf_token_and_a_clear_value(app, archive, login_as, form_post):
    admin, _ = login_as(Role.ADMIN)
    with app.app_context():
        cohort_id = db.session.scalar(sa.select(Cohort.id).limit(1))
    assert admin.post(switch_url(cohort_id), data={"show": "1"}).status_code == 400
    assert cohort_switch(app, cohort_id) is False
    bad = form_post(admin, switch_url(cohort_id), {"show": "yes"}, "/estimates/")
    assert bad.status_code == 422 and "1 or 0" in bad.get_data(as_text=True)
    assert form_post(admin, switch_url(9999), {"show": "1"}, "/estimates/").status_code == 404
    assert form_post(admin, switch_url(cohort_id), {"show": "1"}, "/estimates/").status_code == 302
    assert cohort_switch(app, cohort_id) is True


def test_new_cohorts_start_from_the_configured_default(app_factory, models_dir):
    from webapp.estimates.trainee_access import trainee_sees_estimates

    for default in (False, True):
        app = app_factory(MODELS_DIR=str(models_dir), SHOW_ESTIMATES_TO_TRAINEES=default)
        with app.app_context():
            cohort = Cohort(name=f"Intake {default}")
            loner = User(email=f"loner{default}@example.test", name="L", password_hash="x")
            db.session.add_all([cohort, loner])
            db.session.commit()
            assert cohort.show_estimates_to_trainees is default
            assert trainee_sees_estimates(loner) is default  # no cohort: the default applies
            db.session.remove()
            db.engine.dispose()


def test_train_explains_a_dimension_without_variation(app, runner, archive):
    with app.app_context():
        db.session.execute(
            sa.update(FinalScore).where(FinalScore.dimension == "warmth").values(score=3.0)
        )
        db.session.commit()
    result = runner.invoke(args=["classifier", "train", "--repeats", "1"])
    assert result.exit_code == 1
    assert "ratings for 'warmth' are all 3" in result.output
    assert "Traceback" not in result.output
