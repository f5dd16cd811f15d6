"""Request ids and one JSON log line per request, without personal data."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from webapp.models import Role
from webapp.ops.logs import HANDLER_NAME, JsonFormatter, RequestIdFilter, configure_json_logging


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="webapp.request")

    def lines() -> list[dict]:
        records = [r for r in caplog.records if r.name == "webapp.request"]
        return [json.loads(JsonFormatter().format(r)) for r in records]

    return lines


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert response.headers["X-Request-ID"] == "lb-1234abcd"


@pytest.mark.parametrize("bad", ["short", "x" * 65, "has space inside", 'a"},{"inject": 1'])
def test_an_odd_incoming_request_id_is_replaced(client, bad):
    assert client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"] != bad


def test_one_line_per_request_without_query_or_identity(login_as, request_lines):
    browser, user_id = login_as(Role.TRAINEE, email="private.person@example.test", name="Pat")
    response = browser.get("/library/?q=private.person@example.test")
    line = request_lines()[-1]
    assert line["message"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/library/"
    assert line["status"] == response.status_code
    assert line["user_id"] == user_id
    assert isinstance(line["duration_ms"], float)
    assert line["request_id"] == response.headers["X-Request-ID"]
    everything = json.dumps(request_lines())
    assert "private.person" not in everything and "Pat" not in everything


def test_anonymous_requests_log_no_user(client, request_lines):
    client.get("/login")
    assert request_lines()[-1]["user_id"] is None


def test_log_json_installs_one_json_handler_on_the_root_logger():
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_json_logging()
        handler = configure_json_logging()  # a second app must not double the lines
        ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
        assert ours == [handler]
        assert isinstance(handler.formatter, JsonFormatter)
        assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
    finally:
        root.handlers[:] = before
        root.setLevel(level)


def test_production_turns_json_logs_on_by_default(tmp_path):
    from webapp.config import build_config

    production = build_config(str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "k"}, None)
    assert production["LOG_JSON"] is True
    assert build_config(str(tmp_path), {}, None)["LOG_JSON"] is False
    assert build_config(str(tmp_path), {"LOG_JSON": "1"}, None)["LOG_JSON"] is True


def test_formatter_writes_exceptions_and_extras_as_json():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.makeLogRecord({"msg": "failed %s", "args": ("x",), "levelname": "ERROR"})
        record.exc_info = sys.exc_info()
    record.job_id = 7
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed x"
    assert entry["job_id"] == 7
    assert "ValueError: boom" in entry["exception"]
