"""Vignette import (all or nothing), versioning, and who may read what."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from webapp.extensions import db
from webapp.library.services import VignetteProblems, import_vignettes
from webapp.models import Role, Vignette, VignetteVersion

SHIPPED = Path(__file__).resolve().parents[2] / "vignettes"
SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def write(folder: Path, document: dict, name: str | None = None) -> Path:
    path = folder / (name or f"{document['slug']}.yaml")
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "vignettes"
    shutil.copytree(SHIPPED, target)
    return target


def test_at_least_four_vignettes_ship_with_two_parallel_forms():
    documents = [load(path) for path in SHIPPED_FILES]
    assert len(documents) >= 4
    groups = [d["parallel_group"] for d in documents if d.get("parallel_group")]
    assert any(groups.count(group) >= 2 for group in groups)


def test_shipped_vignettes_import_cleanly(app):
    with app.app_context():
        report = import_vignettes(SHIPPED)
        db.session.commit()
        assert sorted(report.created) == sorted(p.stem for p in SHIPPED_FILES)
        assert count(Vignette) == len(SHIPPED_FILES)
        version = db.session.scalar(sa.select(VignetteVersion).limit(1))
        assert version.number == 1 and version.target_minutes >= 5


def test_reimport_is_unchanged_and_edit_makes_a_new_version(app, folder):
    with app.app_context():
        import_vignettes(folder)
        db.session.commit()
        assert import_vignettes(folder).unchanged
        document = load(SHIPPED_FILES[0])
        document["title"] = "A revised title for the scenario"
        write(folder, document)
        report = import_vignettes(folder)
        db.session.commit()
        assert report.versioned == [document["slug"]]
        vignette = db.session.scalar(sa.select(Vignette).where(Vignette.slug == document["slug"]))
        assert [v.number for v in vignette.versions] == [1, 2]
        assert vignette.versions[0].title != vignette.current.title  # version 1 untouched


def broken(change):
    document = load(SHIPPED_FILES[0])
    change(document)
    return document


BAD_DOCUMENTS = [
    ("missing trainee brief", lambda d: d.pop("trainee_brief"), "trainee_brief", "required"),
    ("target too long", lambda d: d.update(target_minutes=500), "target_minutes", "at most 120"),
    ("unknown difficulty", lambda d: d.update(difficulty="hard"), "difficulty", "one of"),
    ("bad slug", lambda d: d.update(slug="Bad Slug"), "slug", "lowercase"),
    (
        "empty concerns",
        lambda d: d.update(presenting_concerns=[]),
        "presenting_concerns",
        "at least 1",
    ),
    (
        "missing disclosures",
        lambda d: d["actor_brief"].pop("disclosures_if_earned"),
        "actor_brief.disclosures_if_earned",
        "required",
    ),
    ("wrong type", lambda d: d.update(strengths="many"), "strengths", "type array"),
]


@pytest.mark.parametrize(
    ("label", "change", "field", "words"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS]
)
def test_invalid_file_names_file_and_field_and_imports_nothing(
    app, folder, label, change, field, words
):
    document = broken(change)
    bad_file = write(folder, document, name=SHIPPED_FILES[0].name)
    with app.app_context():
        with pytest.raises(VignetteProblems) as caught:
            import_vignettes(folder)
        db.session.rollback()
        assert count(Vignette) == 0 and count(VignetteVersion) == 0
    message = str(caught.value)
    assert bad_file.name in message
    assert field in message
    assert words in message


def test_file_name_must_match_slug(app, folder):
    write(folder, load(SHIPPED_FILES[0]), name="renamed.yaml")
    with app.app_context(), pytest.raises(VignetteProblems, match=r"renamed\.yaml: slug"):
        import_vignettes(folder)


def test_not_yaml_is_reported_with_its_line(app, tmp_path):
    (tmp_path / "broken.yaml").write_text("slug: x\ntitle: [unclosed\n")
    with (
        app.app_context(),
        pytest.raises(VignetteProblems, match=r"broken.yaml: line \d+: is not valid YAML"),
    ):
        import_vignettes(tmp_path)


def test_empty_folder_is_an_error(app, tmp_path):
    with app.app_context(), pytest.raises(VignetteProblems, match=r"has no \.yaml vignette files"):
        import_vignettes(tmp_path)


@pytest.fixture
def library(app):
    with app.app_context():
        import_vignettes(SHIPPED)
        db.session.commit()
    return load(SHIPPED_FILES[0])


def test_trainee_sees_only_the_trainee_brief(login_as, library):
    browser, _ = login_as(Role.TRAINEE)
    html = browser.get(f"/library/{library['slug']}").get_data(as_text=True)
    assert library["trainee_brief"].split()[0] in html
    assert "Actor brief" not in html
    for secret in library["actor_brief"]["disclosures_if_earned"]:
        assert secret[:40] not in html
    assert library["strengths"][0][:30] not in html


def test_actor_sees_trainee_and_actor_briefs(login_as, library):
    browser, _ = login_as(Role.ACTOR)
    html = browser.get(f"/library/{library['slug']}").get_data(as_text=True)
    assert "Trainee brief" in html and "Actor brief" in html
    first_disclosure = library["actor_brief"]["disclosures_if_earned"][0]
    assert yaml.safe_dump(first_disclosure)[:20].strip("'\" ") in html.replace("&#39;", "'")


def test_rater_cannot_open_the_library(login_as, library):
    browser, _ = login_as(Role.RATER)
    assert browser.get("/library/").status_code == 403
    assert browser.get(f"/library/{library['slug']}").status_code == 403


def test_educator_edits_and_a_new_version_appears(app, login_as, library, form_post):
    browser, _ = login_as(Role.EDUCATOR)
    slug = library["slug"]
    html = browser.get(f"/library/{slug}/edit").get_data(as_text=True)
    assert "Save as a new version" in html
    form = edit_form_data(library, title="Revised: first home visit")
    response = form_post(browser, f"/library/{slug}/edit", form, f"/library/{slug}/edit")
    assert response.status_code == 302
    page = browser.get(f"/library/{slug}").get_data(as_text=True)
    assert "Revised: first home visit" in page and "version 2" in page
    old = browser.get(f"/library/{slug}?version=1").get_data(as_text=True)
    assert library["title"][:30] in old


def test_invalid_edit_is_refused_and_stores_nothing(app, login_as, library, form_post):
    browser, _ = login_as(Role.EDUCATOR)
    slug = library["slug"]
    form = edit_form_data(library, summary="too short")
    response = form_post(browser, f"/library/{slug}/edit", form, f"/library/{slug}/edit")
    assert response.status_code == 422
    assert "summary" in response.get_data(as_text=True)
    with app.app_context():
        assert count(VignetteVersion) == len(SHIPPED_FILES)


def test_retired_vignette_is_hidden_from_trainees(login_as, library, form_post):
    educator, _ = login_as(Role.EDUCATOR)
    slug = library["slug"]
    assert form_post(educator, f"/library/{slug}/retire", {}, f"/library/{slug}").status_code == 302
    trainee, _ = login_as(Role.TRAINEE)
    assert trainee.get(f"/library/{slug}").status_code == 404
    assert library["title"] not in trainee.get("/library/").get_data(as_text=True)
    assert "retired" in educator.get(f"/library/{slug}").get_data(as_text=True)


def test_exported_yaml_is_a_valid_vignette_file(app, login_as, library, tmp_path):
    browser, _ = login_as(Role.EDUCATOR)
    response = browser.get(f"/library/{library['slug']}/export.yaml")
    assert response.status_code == 200
    path = tmp_path / "export" / f"{library['slug']}.yaml"
    path.parent.mkdir()
    path.write_bytes(response.data)
    with app.app_context():
        assert import_vignettes(path.parent).unchanged == [library["slug"]]


def edit_form_data(document: dict, **changes) -> dict:
    brief = document["actor_brief"]
    data = {
        "slug": document["slug"],
        "title": document["title"],
        "summary": document["summary"],
        "trainee_brief": document["trainee_brief"],
        "actor_directive": document["actor_directive"],
        "legal_status": document["legal_status"],
        "target_minutes": str(document.get("target_minutes", 30)),
        "difficulty": document["difficulty"],
        "presenting_concerns": "\n".join(document["presenting_concerns"]),
        "strengths": "\n".join(document["strengths"]),
        "parallel_group": document.get("parallel_group") or "",
        "tags": ", ".join(document.get("tags", [])),
        "content_note": document.get("content_note") or "",
        "disclosures_if_earned": "\n".join(brief["disclosures_if_earned"]),
        "opening_line": brief.get("opening_line", ""),
    }
    for name in (
        "character",
        "history",
        "what_they_know",
        "what_they_fear",
        "response_to_warmth",
        "response_to_confrontation",
    ):
        data[name] = brief[name]
    data.update(changes)
    return data
