"""The rating form in a real browser: review.js marks evidence by clicking transcript lines
(under the CSP, no inline script), and the anchored scales submit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD
from tests.e2e.conftest import free_port
from tests.webapp.review_support import VIGNETTES, code_of, make_ready_recording
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Role, User
from webapp.review.allocation import allocate_recordings

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(app_factory) -> Iterator[tuple[str, str, str]]:
    """(base url, rater email, public code) of an app served in a thread."""
    app = app_factory(DOUBLE_CODED_FRACTION=0.0)
    with app.app_context():
        import_vignettes(VIGNETTES)
        from webapp.admin.services import UserDetails, create_user

        rater = create_user(
            UserDetails("e2e-rater@example.test", "Rita Rater", frozenset({Role.RATER})), PASSWORD
        )
        trainee = create_user(
            UserDetails("e2e-trainee@example.test", "Tom", frozenset({Role.TRAINEE})), PASSWORD
        )
        db.session.flush()
        recording_id = make_ready_recording(trainee.id)
        allocate_recordings()
        db.session.commit()
        code = code_of(recording_id)
        email = db.session.get(User, rater.id).email
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", email, code
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_evidence_is_marked_by_clicking_lines_and_the_rating_submits(browser, served):
    base, email, code = served
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/review/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/review/{code}")

    marker = page.get_by_role("button", name="Mark evidence for Clarity about concerns")
    marker.click()
    assert marker.get_attribute("aria-pressed") == "true"
    page.locator("#line-3 .segment-text").click()
    assert page.locator("input[name=evidence-clarity][value='2']").is_checked()
    assert "Evidence: line 3" in page.inner_text("[data-summary=clarity]")
    assert page.locator("#line-3").get_attribute("class").endswith("is-marked")
    page.locator("#line-3 .segment-text").click()  # a second click takes the mark back
    assert not page.locator("input[name=evidence-clarity][value='2']").is_checked()
    page.locator("#line-1 .segment-text").click()

    for key, score in {"clarity": 4, "empathy": 3, "warmth": 5, "strengths": 2}.items():
        page.check(f"input[name=score-{key}][value='{score}']")
    page.check("input[name=mode][value=both]")
    page.get_by_role("button", name="Submit rating").click()
    page.wait_for_selector(".flash-success")
    assert "Rating submitted" in page.inner_text(".flash-success")
    assert page.locator("input[name=evidence-clarity][value='0']").is_checked()
    assert "Save change" in page.content()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()
