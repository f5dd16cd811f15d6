"""Blinding: nothing a rater can reach reveals who is in a recording or where it came from.

A trainee, an actor and a cohort get unique canary strings as names, emails and label; the
upload's file name and its metadata tags are canaries too.  The recording goes through the
real pipeline (upload, playback copy, tiny.en transcript, allocation).  Then a crawler logged
in as the allocated rater follows every same-site link, form action, media source and URL in
JSON from ``/`` and ``/review/`` (GET only; POST forms are seen, not sent), plus the JSON and
audio endpoints, and looks for every canary in every body and header, for identifying JSON
keys, and for numeric ids in every URL.  The last test injects leaks into the rater views and
checks that the crawler catches each one.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlsplit

import av
import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import FIXTURES, SLUG, VIGNETTES, post_rating
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import RatingTask, Recording, Role

CANARIES = {
    "trainee_name": "Tessa Canarytrainee-QX7",
    "trainee_email": "canary.trainee.qx7@example.test",
    "actor_name": "Arlo Canaryactor-WV3",
    "actor_email": "canary.actor.wv3@example.test",
    "cohort": "Cohort Canarycohort-JK4",
    "filename": "canaryfile-ZP9-interview.ogg",
    "tag_title": "Canarytitle-MM2",
    "tag_artist": "Canaryartist-HB6",
    "tag_comment": "Canarycomment-RT8",
}
FORBIDDEN_JSON_KEYS = {"id", "recording_id", "task_id", "trainee", "actor", "cohort", "email"}


@pytest.fixture
def app(app_factory):
    application = app_factory(WHISPER_MODEL="tiny.en", WHISPER_THREADS=1)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def tagged_copy(source: Path, target: Path) -> Path:
    """Remux ``source`` into ``target`` with canary title/artist/comment tags."""
    tags = {
        "title": CANARIES["tag_title"],
        "artist": CANARIES["tag_artist"],
        "comment": CANARIES["tag_comment"],
    }
    with av.open(str(source)) as inp, av.open(str(target), "w", format="ogg") as out:
        out.metadata.update(tags)
        in_stream = inp.streams.audio[0]
        out_stream = out.add_stream_from_template(in_stream)
        out_stream.metadata.update(tags)
        for packet in inp.demux(in_stream):
            if packet.dts is None:
                continue
            packet.stream = out_stream
            out.mux(packet)
    return target


@pytest.fixture
def blinded(app, tmp_path, login_as, make_user, make_cohort):
    """The allocated rater's browser and the ids that must never show."""
    cohort_id = make_cohort(CANARIES["cohort"])
    actor_id = make_user(Role.ACTOR, name=CANARIES["actor_name"], email=CANARIES["actor_email"])
    trainee, trainee_id = login_as(
        Role.TRAINEE,
        name=CANARIES["trainee_name"],
        email=CANARIES["trainee_email"],
        cohort_id=cohort_id,
    )
    rater, rater_id = login_as(Role.RATER)
    upload = tagged_copy(FIXTURES / "jfk.ogg", tmp_path / "tagged.ogg")
    raw = upload.read_bytes()
    assert CANARIES["tag_artist"].encode() in raw, "the fixture must really carry the tags"
    response = trainee.post(
        f"/practice/vignettes/{SLUG}/upload",
        data={
            "actor_id": str(actor_id),
            "actor_name": "",
            "csrf_token": csrf_token(trainee, "/"),
            "file": (upload.open("rb"), CANARIES["filename"]),
        },
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    recording_id = response.get_json()["recording"]
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        assert recording.status == "ready" and recording.original_name == CANARIES["filename"]
        task = db.session.scalar(sa.select(RatingTask).filter_by(recording_id=recording_id))
        assert task is not None and task.rater_id == rater_id  # the only rater
        ids = {
            "recording": recording_id,
            "trainee": trainee_id,
            "actor": actor_id,
            "cohort": cohort_id,
            "task": task.id,
        }
        return rater, recording.public_code, ids


class Links(HTMLParser):
    """Every href, form action and src in a page (forms with their method)."""

    ATTRIBUTES = {
        "a": "href",
        "link": "href",
        "script": "src",
        "audio": "src",
        "source": "src",
        "img": "src",
        "form": "action",
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.forms: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        target = values.get(self.ATTRIBUTES.get(tag, ""))
        if target is None:
            return
        if tag == "form":
            self.forms.append((target, (values.get("method") or "get").lower()))
            if (values.get("method") or "get").lower() != "get":
                return
        self.urls.append(target)


def same_site(url: str) -> str | None:
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(browser: Any, starts: list[str]) -> dict[str, Any]:
    """GET every reachable same-site URL once; returns {url: response}.

    POST forms are not sent (their page is checked); their action URLs are kept under
    ``"POST <action>"`` with a None response, so their URLs are checked too.
    """
    seen: dict[str, Any] = {}
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = browser.get(url)
        seen[url] = response
        for link, method in links_in(response):
            local = same_site(link)
            if local is None:
                continue
            if method == "get" and local not in seen and local != "/logout":
                queue.append(local)
            elif method != "get":
                seen.setdefault(f"POST {local}", None)
    return seen


def links_in(response: Any) -> list[tuple[str, str]]:
    found = []
    if response.headers.get("Location"):
        found.append((response.headers["Location"], "get"))
    if response.mimetype == "text/html":
        parser = Links()
        parser.feed(response.get_data(as_text=True))
        found += [(url, "get") for url in parser.urls] + parser.forms
    if response.mimetype == "application/json":
        found += [(value, "get") for value in json_strings(response.get_json()) if value[:1] == "/"]
    return found


def json_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return [value] if isinstance(value, str) else []


def leaks(responses: dict[str, Any], ids: dict[str, int]) -> list[str]:
    """Every canary, identifying JSON key or numeric id found, as readable findings."""
    found = []
    for url, response in responses.items():
        found += [f"{url}: {problem}" for problem in url_problems(url, ids)]
        if response is None:
            continue
        body = response.get_data().lower()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
        for name, canary in CANARIES.items():
            if canary.lower().encode() in body:
                found.append(f"{url}: body shows {name}")
            if canary.lower() in headers:
                found.append(f"{url}: headers show {name}")
        if response.mimetype == "application/json":
            keys = json_keys(response.get_json()) & FORBIDDEN_JSON_KEYS
            found += [f"{url}: JSON key {key!r}" for key in sorted(keys)]
    return found


def url_problems(url: str, ids: dict[str, int]) -> list[str]:
    parts = urlsplit(url.removeprefix("POST ").split(" ")[0])
    values = [p for p in parts.path.split("/") if p] + [v for _, v in parse_qsl(parts.query)]
    numeric = [v for v in values if re.fullmatch(r"\d+", v)]
    named = [name for name, value in ids.items() if str(value) in numeric]
    return [f"numeric id in URL ({', '.join(named) or 'unknown'})"] if numeric else []


def json_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(json_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(json_keys(v) for v in value)) if value else set()
    return set()


def rater_responses(rater: Any, code: str) -> dict[str, Any]:
    responses = crawl(rater, ["/", "/review/"])
    assert f"/review/{code}" in responses, "the crawler must reach the rating page"
    for extra in (f"/review/{code}/data.json", f"/review/{code}/audio"):
        if extra not in responses:
            responses[extra] = rater.get(extra)
    failed = {url: r.status_code for url, r in responses.items() if r and r.status_code >= 400}
    assert failed == {}
    refused = post_rating(rater, code, "submit", {"score-clarity": "9"})
    assert refused.status_code == 422
    responses[f"POST /review/{code} (refused)"] = refused
    return responses


def test_nothing_a_rater_can_reach_identifies_the_recording(blinded):
    rater, code, ids = blinded
    responses = rater_responses(rater, code)
    assert responses[f"/review/{code}/audio"].mimetype == "audio/ogg"
    assert f"POST /review/{code}/recuse" in responses  # the form was seen, not sent
    assert len(responses) >= 8, sorted(responses)
    assert leaks(responses, ids) == []


def test_the_crawler_catches_leaks(blinded, monkeypatch):
    """Prove the blinding test cannot be fooled: each injected leak must be found."""
    from webapp.review import views, views_model

    rater, code, ids = blinded
    real_page, real_item, real_send = views.rater_page, views_model.rater_item, views.send_audio

    def leaky_page(task):
        page = real_page(task)
        page["summary"] += " " + task.recording.trainee.name
        page["urls"]["page"] += f"?recording={task.recording_id}"
        return page

    def leaky_item(task):
        return {**real_item(task), "title": task.recording.trainee.cohort.name}

    def leaky_send(path):
        response = real_send(path)
        response.headers["X-Original-Name"] = CANARIES["filename"]
        return response

    monkeypatch.setattr(views, "rater_page", leaky_page)
    monkeypatch.setattr(views_model, "rater_item", leaky_item)  # the queue's lines
    monkeypatch.setattr(views, "send_audio", leaky_send)
    found = "\n".join(leaks(rater_responses(rater, code), ids))
    assert f"/review/{code}: body shows trainee_name" in found
    assert f"/review/{code}/data.json: body shows trainee_name" in found
    assert "/review/: body shows cohort" in found
    assert f"/review/{code}/audio: headers show filename" in found
    assert "numeric id in URL (recording" in found
