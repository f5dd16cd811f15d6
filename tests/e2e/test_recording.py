"""A trainee records an interview in the browser (a fake microphone plays a spoken WAV),
stops, watches the transcription progress and reads the transcript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.config import DEFAULTS

# one server (tiny speech model) and one fake-microphone browser for the whole session
pytest_plugins = ["tests.e2e.fakemic"]

pytestmark = pytest.mark.e2e

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


def test_trainee_records_and_reads_the_transcript(trainee, speech_wav):
    page = trainee.page
    _, expected_words = speech_wav
    recording_url = trainee.start_session()

    page.get_by_role("button", name="Check microphone").click()
    page.wait_for_selector("[data-recorder][data-state=ready]")
    assert "Fake" in page.inner_text("[data-part=mic]")  # enumerateDevices after permission
    trainee.wait_until("() => document.querySelector('[data-part=level]').value > 0")

    trainee.record_for(8)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Stop and send").click()

    # transcription takes seconds (queue, conversion, model load), so the progress view shows
    page.wait_for_selector("[data-progress] progress", timeout=30_000)
    assert page.url == recording_url
    assert "% of the audio processed" in page.inner_text("[data-progress] label")
    page.wait_for_selector(".segment", timeout=45_000)
    text = page.inner_text("[data-part=segments]").lower()
    assert expected_words in re.sub(r"[^a-z ]", "", text), text
    assert page.locator("audio[data-part=audio]").count() == 1
    assert page.locator("[data-part=talk-time] tr").count() == 3  # worker, client, not known


def test_upload_explains_a_file_that_is_too_large_or_not_audio(trainee):
    page = trainee.page
    trainee.open_start_page()
    form = "form[data-upload]"
    page.evaluate("f => { document.querySelector(f).dataset.maxMb = '0.01'; }", form)
    page.set_input_files(f"{form} input[type=file]", str(AUDIO / "jfk.ogg"))
    page.get_by_role("button", name="Upload the recording").click()
    alert = page.locator(f"{form} [role=alert]")
    assert "the limit is 0.01 MB" in alert.inner_text()

    page.evaluate("f => { document.querySelector(f).dataset.maxMb = '500'; }", form)
    page.set_input_files(f"{form} input[type=file]", str(AUDIO / "html.webm"))
    with page.expect_response("**/upload") as response:
        page.get_by_role("button", name="Upload the recording").click()
    assert response.value.status in (415, 422)
    message = response.value.json()["message"]
    alert.wait_for()
    assert alert.inner_text() == message
    assert "/practice/vignettes/" in page.url  # stayed on the page, nothing was created


def test_upload_works_without_javascript(fakemic_browser, speech_server):
    context = fakemic_browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(speech_server + "/login")
    page.fill("input[name=email]", "trainee1@example.org")
    page.fill("input[name=password]", DEFAULTS["DEMO_PASSWORD"])
    page.click("button[type=submit]")
    page.goto(speech_server + "/practice/vignettes/school-referral-late-and-hungry")
    form = page.locator("form[data-upload]")
    form.locator("select[name=actor_id]").select_option(index=1)  # shown in <noscript>
    form.locator("input[type=file]").set_input_files(str(AUDIO / "short.wav"))
    form.get_by_role("button", name="Upload the recording").click()
    page.wait_for_url("**/practice/recordings/*")
    assert "Uploaded" in page.inner_text(".flashes")
    context.close()


def test_timer_warns_past_the_target_and_stops_at_the_cap(trainee):
    page = trainee.page

    def shorten_limits(route):
        # a 4-second target and an 8-second cap instead of 30 and 60 minutes
        html = route.fetch().text()
        html = re.sub(r'data-target-seconds="\d+"', 'data-target-seconds="4"', html)
        html = re.sub(r'data-cap-seconds="\d+"', 'data-cap-seconds="8"', html)
        route.fulfill(body=html, headers={"content-type": "text/html; charset=utf-8"})

    page.route(re.compile(r".*/practice/recordings/\d+$"), shorten_limits)
    page.goto(trainee.start_session())  # routes do not see the redirect after the start form
    page.wait_for_selector("[data-recorder][data-target-seconds='4']")
    trainee.record_for(4.5)
    assert "over-target" in page.get_attribute("[data-recorder]", "class")
    assert "passed the target" in page.inner_text("[data-part=message]")
    page.wait_for_selector("[data-progress], [data-transcript]", timeout=30_000)
