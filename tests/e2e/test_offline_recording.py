"""The network drops in the middle of a recording: the browser keeps the pieces in
IndexedDB, sends them when the connection returns, and no audio is lost."""

from __future__ import annotations

import re
import time

import pytest

# one server (tiny speech model) and one fake-microphone browser for the whole session
pytest_plugins = ["tests.e2e.fakemic"]

pytestmark = pytest.mark.e2e

CHUNK_URL = re.compile(r"/practice/recordings/\d+/chunks/(\d+)$")


def test_audio_recorded_offline_reaches_the_server(trainee):
    page, context = trainee.page, trainee.context
    acknowledged: set[int] = set()
    finishes: list[int] = []

    def watch(response):
        match = CHUNK_URL.search(response.url)
        if match and response.status in (200, 201):
            acknowledged.add(int(match.group(1)))
        elif response.url.endswith("/finish"):
            finishes.append(response.status)

    page.on("response", watch)
    recording_url = trainee.start_session()
    chunk_seconds = int(page.get_attribute("[data-recorder]", "data-chunk-seconds"))
    trainee.record_for(chunk_seconds + 1)

    context.set_offline(True)
    went_offline = time.monotonic()
    # at least two pieces are produced while offline; they wait in IndexedDB
    trainee.wait_until(
        "() => Number(document.querySelector('[data-recorder]').dataset.pending) >= 2",
        timeout=3 * chunk_seconds + 10,
    )
    assert "waiting" in page.inner_text("[data-part=queue]")
    assert page.evaluate(STORED_KEYS) >= 2
    offline_for = time.monotonic() - went_offline
    context.set_offline(False)

    trainee.wait_recorded(trainee.recorded_seconds() + 2)
    seconds = trainee.recorded_seconds()  # a moment before the recorder really stops
    page.get_by_role("button", name="Stop and send").click()
    # once the server has everything, the recorder reloads the page into the progress view
    page.wait_for_selector("[data-progress], [data-transcript]", timeout=30_000)

    status = page.request.get(recording_url + "/status").json()
    assert status["status"] in ("processing", "ready"), status
    deadline = time.monotonic() + 30
    while status["duration"] is None and time.monotonic() < deadline:
        time.sleep(0.5)
        status = page.request.get(recording_url + "/status").json()
    chunks = max(acknowledged) + 1
    assert acknowledged == set(range(chunks)), sorted(acknowledged)
    assert finishes[-1] == 202, finishes
    assert status["duration"] >= seconds - chunk_seconds, (status, seconds, offline_for)


# Number of pieces kept in the recording's IndexedDB database right now.
STORED_KEYS = """async () => {
  const root = document.querySelector('[data-recorder]');
  const name = 'simclient-recording-' + root.dataset.recordingId;
  const db = await new Promise((ok, fail) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  const count = await new Promise((ok) => {
    const request = db.transaction('chunks').objectStore('chunks').count();
    request.onsuccess = () => ok(request.result);
  });
  db.close();
  return count;
}"""


def test_recording_left_by_a_closed_tab_is_finished_from_the_browser_store(trainee):
    page, context = trainee.page, trainee.context
    recording_url = trainee.start_session()
    chunk_seconds = int(page.get_attribute("[data-recorder]", "data-chunk-seconds"))
    trainee.record_for(chunk_seconds + 1)  # the first piece is on the server
    other = context.new_page()  # a second tab must not finish the recording under it
    other.goto(recording_url)
    other.wait_for_selector("[data-recorder][data-state=elsewhere]")
    assert "running in another tab" in other.inner_text("[data-part=elsewhere]")
    other.close()
    context.set_offline(True)
    trainee.wait_until(
        "() => Number(document.querySelector('[data-recorder]').dataset.pending) >= 1",
        timeout=2 * chunk_seconds + 10,
    )
    page.close()  # mid-recording, with a piece only in IndexedDB
    context.set_offline(False)

    page = context.new_page()
    page.goto(recording_url)
    page.wait_for_selector("[data-recorder][data-state=interrupted]")
    assert "cannot be continued" in page.inner_text("[data-part=resume]")
    assert not page.get_by_role("button", name="Start recording").is_visible()
    assert page.get_by_role("button", name="Continue recording").count() == 0
    resent: list[int] = []
    page.on("response", lambda r: resent.append(r.status) if CHUNK_URL.search(r.url) else None)

    page.get_by_role("button", name="Finish this recording").click()
    page.wait_for_selector("[data-progress], [data-transcript]", timeout=30_000)
    assert resent and all(status in (200, 201) for status in resent), resent
    status = page.request.get(recording_url + "/status").json()
    assert status["duration"] >= 2 * chunk_seconds - 1, status
    page.close()


def test_a_piece_lost_on_the_way_is_named_and_the_audio_before_it_is_kept(trainee):
    page = trainee.page
    # a proxy that answers "stored" for piece 1 but never passes it on to the server
    page.route(
        re.compile(r".*/chunks/1$"),
        lambda route: route.fulfill(status=201, json={"seq": 1, "stored": True}),
    )
    recording_url = trainee.start_session()
    chunk_seconds = int(page.get_attribute("[data-recorder]", "data-chunk-seconds"))
    trainee.record_for(2 * chunk_seconds + 1)
    with page.expect_response("**/finish") as refused:
        page.get_by_role("button", name="Stop and send").click()
    assert refused.value.status == 409
    assert refused.value.json()["missing"] == [1]
    alert = page.locator("[data-recorder] [role=alert]")
    alert.wait_for()
    assert "missing part 2 of 3" in alert.inner_text()

    page.get_by_role("button", name="Finish with the audio before the gap").click()
    page.wait_for_selector("[data-progress], [data-transcript]", timeout=30_000)
    status = page.request.get(recording_url + "/status").json()
    assert chunk_seconds - 1 <= status["duration"] <= chunk_seconds + 1, status
