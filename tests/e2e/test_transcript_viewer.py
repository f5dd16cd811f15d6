"""A trainee uploads a recording, then uses the transcript viewer: segments play the audio
from their start, and corrections make new transcript versions."""

from __future__ import annotations

from pathlib import Path

import pytest

# one server (tiny speech model) and one fake-microphone browser for the whole session
pytest_plugins = ["tests.e2e.fakemic"]

pytestmark = pytest.mark.e2e

JFK = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "jfk.ogg"
CURRENT_TIME = "document.querySelector('audio[data-part=audio]').currentTime"
VERSION = "Number(document.querySelector('[data-transcript]').dataset.version)"


def upload_and_open_transcript(trainee) -> str:
    page = trainee.page
    trainee.open_start_page()
    page.set_input_files("form[data-upload] input[type=file]", str(JFK))
    page.get_by_role("button", name="Upload the recording").click()
    page.wait_for_url("**/practice/recordings/*")
    page.wait_for_selector(".segment", timeout=45_000)
    return page.url


def test_segment_plays_from_its_start_and_corrections_make_versions(trainee):
    page = trainee.page
    url = upload_and_open_transcript(trainee)
    data = page.request.get(url + "/transcript.json").json()
    segments = data["segments"]
    assert page.locator(".segment").count() == len(segments) >= 1
    assert page.evaluate(f"() => {VERSION}") == data["version"] == 1

    # clicking a segment moves the player to its start (from somewhere else first)
    last = segments[-1]
    page.evaluate("t => { document.querySelector('audio').currentTime = t; }", last["end"] - 0.2)
    page.locator(".segment").last.locator(".segment-play").click()
    # Both at once, while the segment plays: the highlight follows the player's time
    # updates, and a busy machine may only look again after playback has left the segment.
    trainee.wait_until(
        f"() => Math.abs({CURRENT_TIME} - {last['start']}) < 1.5 && "
        "[...document.querySelectorAll('.segment')].at(-1).getAttribute('aria-current') === 'true'"
    )
    page.evaluate("() => document.querySelector('audio').pause()")

    # Enter on the first segment does the same
    page.evaluate("() => { document.querySelector('audio').currentTime = 5; }")
    page.locator(".segment").first.locator(".segment-play").focus()
    page.keyboard.press("Enter")
    trainee.wait_until(f"() => {CURRENT_TIME} < {segments[0]['start'] + 1.5}")
    page.evaluate("() => document.querySelector('audio').pause()")

    # switch the first segment's speaker: a new version, kept after a reload
    first = page.locator(".segment").first
    before = first.get_attribute("data-speaker")
    first.locator("[data-action=speaker]").first.click()
    trainee.wait_until(f"() => {VERSION} === 2")
    after = page.locator(".segment").first.get_attribute("data-speaker")
    assert after and after != before
    assert "Version 2" in page.inner_text("[data-part=version]")
    page.reload()
    page.wait_for_selector(".segment")
    assert page.evaluate(f"() => {VERSION}") == 2
    first = page.locator(".segment").first
    assert first.get_attribute("data-speaker") == after
    assert first.locator(".speaker-tag").inner_text() == after.capitalize()

    # swapping the labels throughout is one more version
    page.get_by_role("button", name="Swap Worker and Client throughout").click()
    trainee.wait_until(f"() => {VERSION} === 3")
    swapped = {"worker": "client", "client": "worker"}[after]
    assert page.locator(".segment").first.get_attribute("data-speaker") == swapped

    # search highlights matches and hides the rest
    page.fill("[data-part=search]", "country")
    assert page.locator(".segment-text mark").count() >= 1
    assert "contain" in page.inner_text("[data-part=search-status]")
    page.fill("[data-part=search]", "")


def test_split_at_the_playback_position_and_merge_back(trainee):
    page = trainee.page
    url = upload_and_open_transcript(trainee)
    segments = page.request.get(url + "/transcript.json").json()["segments"]
    longest = max(range(len(segments)), key=lambda i: segments[i]["end"] - segments[i]["start"])
    middle = (segments[longest]["start"] + segments[longest]["end"]) / 2
    page.evaluate("t => { const a = document.querySelector('audio'); a.currentTime = t; }", middle)
    item = page.locator(".segment").nth(longest)
    split = item.locator("[data-action=split]")
    trainee.wait_until(
        "i => !document.querySelectorAll('.segment')[i]"
        ".querySelector('[data-action=split]').disabled",
        longest,
    )
    assert "Split at" in split.inner_text()
    split.click()
    trainee.wait_until(f"() => {VERSION} === 2")
    assert page.locator(".segment").count() == len(segments) + 1

    page.locator(".segment").nth(longest).locator("[data-action=merge]").click()
    trainee.wait_until(f"() => {VERSION} === 3")
    assert page.locator(".segment").count() == len(segments)
