"""From a fresh start, every demo user logs in through a real browser and lands on the
home page for their role."""

from __future__ import annotations

import pytest

from webapp.config import DEFAULTS
from webapp.demo import DEMO_USERS
from webapp.models import Role

pytestmark = pytest.mark.e2e

HOME_SECTION = {
    Role.TRAINEE: "Your practice",
    Role.ACTOR: "Playing the parent",
    Role.RATER: "Rating",
    Role.EDUCATOR: "Teaching",
    Role.ADMIN: "Administration",
}


@pytest.mark.parametrize("demo", DEMO_USERS, ids=[user.email for user in DEMO_USERS])
def test_demo_user_logs_in_and_sees_their_home(live_server, browser, demo):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    assert "/login" in page.url  # anonymous visitors are sent to log in
    page.fill("input[name=email]", demo.email)
    page.fill("input[name=password]", DEFAULTS["DEMO_PASSWORD"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == f"Welcome, {demo.name}"
    for role, heading in HOME_SECTION.items():
        visible = page.locator("h2", has_text=heading).count() > 0
        assert visible == (role in demo.roles), f"{demo.email}: section {heading!r}"
    page.click("text=Log out")
    page.wait_for_url("**/login")
    context.close()


def test_trainee_reads_a_brief_and_a_rater_is_kept_out(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "trainee1@example.org")
    page.click("nav >> text=Vignettes")
    page.locator(".card h2 a").first.click()
    assert page.locator("h2", has_text="Trainee brief").count() == 1
    assert page.locator("h2", has_text="Actor brief").count() == 0
    context.close()

    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "rater1@example.org")
    response = page.goto(live_server + "/library/")
    assert response.status == 403
    context.close()


def log_in(page, server, email):
    page.goto(server + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEFAULTS["DEMO_PASSWORD"])
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
