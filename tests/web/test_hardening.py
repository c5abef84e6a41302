"""Defects of the hostile test (issue 16, part 2) fixed here: the access log cannot be forged,
HSTS behind HTTPS, API answers never cached and their errors always JSON."""

import datetime
import os
import subprocess
import sys

import pytest

from piwarden.gunicorn_conf import ACCESS_LOG_FORMAT, AccessLogger, loggable, printable


def test_a_newline_in_the_path_cannot_forge_an_access_log_line():
    """``/x%0A127.0.0.1 - admin "GET /admin/"`` arrives decoded: the line stays one line."""
    assert printable("/x\n127.0.0.1 \"GET /admin/\"\r") == \
        "/x\\x0a127.0.0.1 \"GET /admin/\"\\x0d"
    assert printable("/privacy/政策/") == "/privacy/政策/"
    logger = AccessLogger.__new__(AccessLogger)
    logger.cfg = type("Cfg", (), {"access_log_format": ACCESS_LOG_FORMAT})()
    response = type("Response", (), {"status": "200 OK", "sent": 10})()
    atoms = logger.atoms(response, None, {"REQUEST_METHOD": "GET", "PATH_INFO": "/a\nb"},
                         datetime.timedelta(milliseconds=3))
    assert "\n" not in ACCESS_LOG_FORMAT % atoms and atoms["U"] == "/a\\x0ab"


@pytest.mark.parametrize(("path", "logged"), [
    ("/privacy/data/certificates/link/mDccYERCDtj-gOX1axpDcEv5IVAn1nuQ/",
     "/privacy/data/certificates/link/[token]/"),
    ("/privacy/unsubscribe/abc.def:ghi/", "/privacy/unsubscribe/[token]/"),
    ("/account/guardian/t0k3n/", "/account/guardian/[token]/"),
    ("/privacy/data/certificates/0b5e8c1e-7e4f-4f57-9a43-1f3c0f0e5c11/",
     "/privacy/data/certificates/0b5e8c1e-7e4f-4f57-9a43-1f3c0f0e5c11/"),
])
def test_i17_11_the_access_log_never_holds_a_link_token(path, logged):
    """The certificate link works without an account for 90 days: its token is a bearer
    credential and stays out of the access log, like the other token links."""
    assert loggable(path) == logged


@pytest.mark.parametrize(("https", "seconds"), [("true", "31536000"), ("false", "0")])
def test_hsts_is_sent_behind_https(https, seconds, tmp_path):
    env = {**os.environ, "PIWARDEN_HTTPS": https, "PIWARDEN_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "piwarden.settings"}
    found = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.SECURE_HSTS_SECONDS)"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert found == seconds


@pytest.mark.django_db
def test_api_answers_are_never_cached(client):
    """An answer about the caller (here a refusal) carries ``no-store``; a page does not get
    it from this rule."""
    assert client.get("/api/v1/account/me")["Cache-Control"] == "no-store"
    assert client.get("/api/v1/docs")["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/privacy/policy/").get("Cache-Control", "")


@pytest.mark.django_db
def test_api_errors_are_json_even_when_django_answers(client):
    """A 405 (and any 400 or 500 page Django renders) comes back as the API's JSON error."""
    refused = client.delete("/api/v1/catalog/categories")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert refused["Allow"] and refused["Cache-Control"] == "no-store"


def test_a_server_error_page_on_the_api_becomes_a_json_error(rf):
    from django.http import HttpResponseServerError

    from piwarden.web.middleware import ApiResponseMiddleware

    middleware = ApiResponseMiddleware(lambda request: HttpResponseServerError("<h1>x</h1>"))
    answer = middleware(rf.get("/api/v1/payments/me/profile"))
    assert answer.status_code == 500 and answer["Content-Type"] == "application/json"
    assert answer.content == b'{"error": {"code": "SERVER_ERROR", "message": ' \
                             b'"Internal Server Error"}}'
    page = ApiResponseMiddleware(lambda request: HttpResponseServerError("<h1>x</h1>"))(
        rf.get("/privacy/policy/"))
    assert page.content == b"<h1>x</h1>"


@pytest.mark.django_db
def test_bodies_are_limited_per_endpoint_and_refused_early(client):
    """A 4.5 MB batch of events is within its endpoint's limit (it reaches authentication);
    9 MB is not; the anonymous call-back form takes a few KB, not 100 KB; on the API the
    refusal is the JSON error."""
    batch = '{"events": ["' + "x" * 4_500_000 + '"]}'
    within = client.post("/api/v1/collection/events", data=batch,
                         content_type="application/json")
    assert within.status_code == 401
    over = client.post("/api/v1/collection/events", data=batch * 2,
                       content_type="application/json")
    assert (over.status_code, over.json()["error"]["code"]) == (413, "TOO_LARGE")
    form = client.post("/contact/", {"message": "x" * 100_000})
    assert form.status_code == 413


def test_a_form_body_over_djangos_limit_is_a_json_413_on_the_api(rf):
    from django.core.exceptions import RequestDataTooBig

    from piwarden.web.middleware import ApiResponseMiddleware

    middleware = ApiResponseMiddleware(lambda request: None)
    answer = middleware.process_exception(rf.post("/api/v1/consent/events"),
                                          RequestDataTooBig("too big"))
    assert answer.status_code == 413 and b"TOO_LARGE" in answer.content
    assert middleware.process_exception(rf.post("/contact/"), RequestDataTooBig("x")) is None
