"""Research exports: de-identified by default, identified only for admins and audited."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webapp.privacy_support import CANARIES, Study, register_blueprints, seed_study
from webapp.extensions import db
from webapp.models import AuditEvent, Consent, Role
from webapp.orm import utcnow


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    return seed_study(app, make_user, make_cohort)


@pytest.fixture(autouse=True)
def _blueprints(app):
    register_blueprints(app)


def all_text(body: bytes, fmt: str) -> str:
    """Every byte of an export as text (an XLSX is a zip: read each member)."""
    if fmt == "csv":
        return body.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("dataset", ["ratings", "final-scores", "reliability"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_default_export_contains_no_names_or_emails(app, study, login_as, dataset, fmt):
    browser, _ = login_as(Role.ADMIN, name="Ada Canaryadmin")
    response = browser.get(f"/exports/{dataset}.{fmt}")
    assert response.status_code == 200
    text = all_text(response.data, fmt)
    assert "R-1111-2222" in text
    for canary in (*CANARIES, "Canary", "canary", "@example.test"):
        assert canary not in text
    assert "export.downloaded" in audit_actions(app)


def test_ratings_export_is_long_format_with_rater_pseudonyms(study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    rows = csv_rows(browser.get("/exports/ratings.csv").data)
    assert len(rows) == 4  # 1 recording x 2 raters x 2 dimensions
    assert {row["rater"] for row in rows} == {"R01", "R02"}
    assert {row["role"] for row in rows} == {"primary", "second"}
    assert rows[0]["instrument"] == "test-scale" and rows[0]["instrument_version"] == "1"
    assert {row["consent_withdrawn"] for row in rows} == {"0"}


def test_final_scores_export_keeps_cohort_and_pseudonymous_trainee(study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    rows = csv_rows(browser.get("/exports/final-scores.csv").data)
    assert {(r["dimension"], r["score"], r["method"]) for r in rows} == {
        ("clarity", "3.0", "mean"),
        ("empathy", "4.5", "mean"),
    }
    assert {r["cohort"] for r in rows} == {"Spring"}
    assert {r["trainee"] for r in rows} == {"T0001"}


def test_reliability_export_pairs_the_two_coders(study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    rows = csv_rows(browser.get("/exports/reliability.csv").data)
    pairs = {r["dimension"]: (r["coder1"], r["coder2"]) for r in rows}
    assert pairs == {"clarity": ("3", "3"), "empathy": ("4", "5")}


def test_xlsx_export_opens_with_the_same_columns(study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    body = browser.get("/exports/ratings.xlsx").data
    sheet = load_workbook(io.BytesIO(body)).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["recording_code", "rater", "dimension"]
    assert sheet.max_row == 5


def test_identified_export_is_for_admins_and_audited(app, study, login_as):
    browser, admin_id = login_as(Role.ADMIN)
    response = browser.get("/exports/final-scores.csv?identified=1")
    assert response.status_code == 200
    rows = csv_rows(response.data)
    assert {(r["trainee_name"], r["trainee_email"]) for r in rows} == {CANARIES[:2]}
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "export.identified")
        ).one()
        assert event.actor_id == admin_id
        assert event.detail == {
            "dataset": "final-scores",
            "format": "csv",
            "rows": 2,
            "research_only": False,
        }


def test_educator_cannot_export_identified_data(app, study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    response = browser.get("/exports/ratings.csv?identified=1")
    assert response.status_code == 403
    assert "Only administrators may export names" in response.get_data(as_text=True)
    assert CANARIES[1] not in response.get_data(as_text=True)
    assert not {"export.identified", "export.downloaded"} & set(audit_actions(app))


@pytest.mark.parametrize("path", ["/exports/nothing.csv", "/exports/ratings.pdf"])
def test_unknown_export_is_404(study, login_as, path):
    browser, _ = login_as(Role.EDUCATOR)
    assert browser.get(path).status_code == 404


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.RATER, Role.ACTOR])
def test_exports_are_refused_to_other_roles(study, login_as, role):
    browser, _ = login_as(role)
    assert browser.get("/exports/ratings.csv").status_code == 403


def test_withdrawn_consent_is_marked_in_every_export(app, study, login_as):
    with app.app_context():
        db.session.add(
            Consent(recording_id=study.recording, person_role="actor", withdrawn_at=utcnow())
        )
        db.session.commit()
    browser, _ = login_as(Role.EDUCATOR)
    for dataset in ("ratings", "final-scores", "reliability"):
        rows = csv_rows(browser.get(f"/exports/{dataset}.csv").data)
        assert rows and {r["consent_withdrawn"] for r in rows} == {"1"}, dataset


def give_research_consent(app, recording_id: int, *roles: str) -> None:
    with app.app_context():
        for role in roles:
            db.session.add(Consent(recording_id=recording_id, person_role=role, research_use=True))
        db.session.commit()


def second_study_recording(app, study) -> int:
    from tests.webapp.privacy_support import add_rated_recording

    with app.app_context():
        recording_id = add_rated_recording(
            study.trainee, study.actor, (study.rater1, study.rater2), code="R-5555-6666"
        )
        db.session.commit()
        return recording_id


@pytest.mark.parametrize("dataset", ["ratings", "final-scores", "reliability"])
def test_every_export_marks_research_consent(app, study, login_as, dataset):
    consented = second_study_recording(app, study)
    give_research_consent(app, consented, "trainee", "actor")
    give_research_consent(app, study.recording, "trainee")  # the actor has not agreed
    browser, _ = login_as(Role.EDUCATOR)
    rows = csv_rows(browser.get(f"/exports/{dataset}.csv").data)
    marks = {r["recording_code"]: r["research_consent"] for r in rows}
    assert marks == {"R-5555-6666": "1", "R-1111-2222": "0"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", ["ratings", "final-scores", "reliability"])
def test_research_only_export_leaves_out_recordings_without_research_consent(
    app, study, login_as, dataset, fmt
):
    consented = second_study_recording(app, study)
    give_research_consent(app, consented, "trainee", "actor")
    browser, _ = login_as(Role.EDUCATOR)
    full = all_text(browser.get(f"/exports/{dataset}.{fmt}").data, fmt)
    response = browser.get(f"/exports/{dataset}.{fmt}?research_only=1")
    assert response.status_code == 200
    assert f"{dataset}-research.{fmt}" in response.headers["Content-Disposition"]
    research = all_text(response.data, fmt)
    assert "R-1111-2222" in full and "R-5555-6666" in full
    assert "R-1111-2222" not in research and "R-5555-6666" in research
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "export.downloaded")
            .order_by(AuditEvent.id.desc())
        ).first()
        db.session.expunge_all()  # loaded values stay readable after the context ends
    assert event.detail["research_only"] is True


def test_withdrawal_takes_research_consent_away(app, study, login_as):
    give_research_consent(app, study.recording, "trainee", "actor")
    browser, _ = login_as(Role.EDUCATOR)
    assert {r["research_consent"] for r in csv_rows(browser.get("/exports/ratings.csv").data)} == {
        "1"
    }
    with app.app_context():
        row = db.session.scalars(sa.select(Consent).filter_by(person_role="actor")).one()
        row.withdrawn_at = utcnow()
        db.session.commit()
    rows = csv_rows(browser.get("/exports/ratings.csv").data)
    assert {(r["research_consent"], r["consent_withdrawn"]) for r in rows} == {("0", "1")}
    assert csv_rows(browser.get("/exports/ratings.csv?research_only=1").data) == []
