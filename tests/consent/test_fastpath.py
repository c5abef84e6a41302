"""The consent API's hot calls answered by ``consent.fastpath`` get the router's answers.

Each request is sent twice: to the WSGI application gunicorn serves (``ConsentFastPath`` in
front of Django's handler) and to Django's handler alone (the ninja router answers
everything). Status, body and headers must agree, whoever answered.
"""

import json
import uuid
from dataclasses import dataclass

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory
from prometheus_client import REGISTRY

from piwarden.audit.models import AuditEvent
from piwarden.clients import services as clients
from piwarden.consent import api as consent_api
from piwarden.consent import fastpath
from piwarden.consent.models import ConsentEvent
from piwarden.subjects.models import SubjectStatus
from piwarden.subjects.services import change_status

from .conftest import NOTICE

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consent"
HEADERS = ("Content-Type", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
           "Cross-Origin-Opener-Policy", "Content-Security-Policy", "Vary", "Content-Language")
VOLATILE = ("id", "occurred_at")


@dataclass
class Answer:
    status_code: int
    headers: dict
    content: bytes

    def __getitem__(self, header):
        return self.headers[header]

    def get(self, header, default=None):
        return self.headers.get(header, default)

    def json(self):
        return json.loads(self.content)


class Wsgi:
    """Requests to the WSGI application as gunicorn sends them (``piwarden.wsgi``'s
    arrangement), in the test's transaction: like Django's test client, it keeps the request
    signals from closing the connection."""

    def __init__(self, fast: bool = True):
        self.application = WSGIHandler()
        if fast:
            self.application = fastpath.ConsentFastPath(self.application)

    def post(self, path, data, content_type="application/json", headers=None, **extra):
        environ = RequestFactory().generic(
            "POST", path, data if isinstance(data, str) else json.dumps(data),
            content_type=content_type, headers=headers, **extra).environ
        started = []
        for signal in (signals.request_started, signals.request_finished):
            signal.disconnect(close_old_connections)
        upkeep, fastpath.close_old_connections = fastpath.close_old_connections, _kept
        try:
            body = b"".join(self.application(environ, lambda *args: started.append(args)))
        finally:
            fastpath.close_old_connections = upkeep
            for signal in (signals.request_started, signals.request_finished):
                signal.connect(close_old_connections)
        status, headers = started[0][:2]
        return Answer(int(status.split()[0]), dict(headers), body)


def _kept():
    """The connection upkeep after an answer, counted (the test's transaction stays open)."""
    _kept.calls += 1


_kept.calls = 0


@pytest.fixture
def answered(monkeypatch):
    """The calls ConsentFastPath answered itself."""
    calls = []
    respond = fastpath._respond

    def spy(environ, *args):
        calls.append(environ["PATH_INFO"])
        return respond(environ, *args)

    monkeypatch.setattr(fastpath, "_respond", spy)
    return calls


@pytest.fixture
def both():
    """(the WSGI application with the fast path, Django's handler alone)"""
    return Wsgi(), Wsgi(fast=False)


@pytest.fixture
def key(system_actor):
    def make(*scopes):
        return clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                     scopes=list(scopes))[1]
    return make


def post(client, path, body, key=None, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if isinstance(body, str):
        return client.post(path, body, content_type="application/json", headers=headers)
    return client.post(path, json.dumps(body), content_type="application/json",
                       headers=headers)


def same(fast, routed):
    """Both answers, compared: status, body (ids and times aside), headers."""
    assert fast.status_code == routed.status_code, (fast.content, routed.content)
    if fast["Content-Type"].startswith("application/json"):
        assert _masked(fast.json()) == _masked(routed.json())
    else:
        assert fast.content == routed.content
    for header in HEADERS:
        assert fast.get(header) == routed.get(header), header
    assert bool(fast.get("X-Request-ID")) == bool(routed.get("X-Request-ID"))
    return fast


def _masked(body):
    if isinstance(body, dict):
        return {k: ("…" if k in VOLATILE and v is not None else
                    ("date" if k == "erasure_due" and v else _masked(v)))
                for k, v in body.items()}
    if isinstance(body, list):
        return [_masked(item) for item in body]
    return body


def test_decisions_agree(both, key, person, make_subject, answered):
    """Answers, refusals and passed-on requests agree; only good calls are answered early."""
    fast, routed = both
    decide, other = key("consent:decide"), key("catalog:read")
    post(fast, f"{BASE}/subjects/{person.pk}/events",
         {"purpose": "survey", "choice": "grant", "notice_text": NOTICE},
         key("consent:write"))
    asked = [{"subject": str(person.pk), "purpose": "survey"},
             {"subject": str(make_subject().pk), "purpose": "marketing.sms",
              "categories": ["user.contact.phone"]},
             {"subject": str(uuid.uuid4()), "purpose": "survey"}]
    answered.clear()
    cases = [
        ({"items": asked[:1]}, decide, {}, True),
        ({"items": asked}, decide, {"Accept-Language": "zh-CN,zh;q=0.9"}, True),
        ({"items": [{"subject": "x", "purpose": "survey"}]}, decide, {}, True),  # 422 items
        ({"items": [{"subject": str(person.pk), "purpose": "nope"}]}, decide, {}, True),
        ({"items": [{"subject": str(person.pk), "purpose": "survey",
                     "categories": ["no.such.category"]}]}, decide, {}, True),
        ({"items": []}, decide, {}, False),  # VALIDATION_ERROR, from the router
        ({"wrong": 1}, decide, {}, False),
        ("not json", decide, {}, False),
        ("[1, 2]", decide, {}, False),
        ({"items": asked[:1]}, None, {}, False),  # 401
        ({"items": asked[:1]}, other, {}, False),  # 403
        ({"items": asked[:1]}, "pwk_nope_nope", {}, False),
    ]
    for body, used, headers, early in cases:
        before = len(answered)
        answer = same(post(fast, f"{BASE}/decisions", body, used, **headers),
                      post(routed, f"{BASE}/decisions", body, used, **headers))
        assert (len(answered) > before) is early, (body, answer.content)
    assert len(answered) == 5


def test_single_choices_agree(both, key, person, make_subject, system_actor, answered):
    """Recorded choices and every refusal agree; the router answers what is passed on."""
    fast, routed = both
    write = key("consent:write")
    restricted = make_subject()
    change_status(actor=system_actor, subject=restricted, status=SubjectStatus.RESTRICTED,
                  reason="legal hold")
    grant = {"purpose": "survey", "choice": "grant", "notice_text": NOTICE}
    cases = [
        (person.pk, grant, write, True),
        (person.pk, {**grant, "choice": "withdraw", "ip": "203.0.113.9",
                     "user_agent": "Site/1.0"}, write, True),
        (person.pk, {**grant, "extra": "ignored"}, write, True),
        (person.pk, {**grant, "user_agent": "Site/1.0 'q' \\", "ip": "nope"}, write, True),
        # a NUL is passed on: the API's one input check refuses it (400 INVALID_CHARACTER)
        (person.pk, {**grant, "user_agent": "Site\u0000/1.0"}, write, False),
        (uuid.uuid4(), grant, write, True),  # 404 NOT_FOUND
        (uuid.uuid4(), {**grant, "purpose": "security"}, write, True),  # still 404
        (person.pk, {**grant, "purpose": "security"}, write, True),  # SCOPE_NOT_APPLICABLE
        (person.pk, {**grant, "purpose": "nope"}, write, True),  # 404 UNKNOWN_PURPOSE
        (person.pk, {**grant, "notice_text": "  "}, write, True),  # NOTICE_REQUIRED
        (restricted.pk, grant, write, True),  # SUBJECT_INACTIVE
        (restricted.pk, {**grant, "choice": "withdraw"}, write, True),
        (person.pk, {"purpose": "survey", "choice": "grant"}, write, False),  # no notice
        (person.pk, {**grant, "scope": "nope"}, write, False),
        (person.pk, "[]", write, False),
        (str(person.pk).upper(), grant, write, False),  # the router's spelling of an id
        ("not-an-id", grant, write, False),
        (person.pk, grant, key("consent:decide"), False),  # 403
        (person.pk, grant, None, False),  # 401
    ]
    for subject, body, used, early in cases:
        path = f"{BASE}/subjects/{subject}/events"
        before = len(answered)
        answer = same(post(fast, path, body, used), post(routed, path, body, used))
        assert (len(answered) > before) is early, (subject, body, answer.content)
    assert ConsentEvent.objects.filter(subject=person, choice="withdraw").count() == 2


def _timed(route):
    return REGISTRY.get_sample_value("piwarden_http_request_seconds_count",
                                     {"route": route}) or 0


def test_answers_carry_the_request_id_and_are_timed(both, key, person, answered):
    """The caller's request id reaches the audit record and comes back; the request timing
    counts the answer under the router's route."""
    fast, _ = both
    route = "api/v1/consent/subjects/<subject_id>/events"
    timed = _timed(route)
    response = post(fast, f"{BASE}/subjects/{person.pk}/events",
                    {"purpose": "survey", "choice": "grant", "notice_text": NOTICE},
                    key("consent:write"), **{"X-Request-ID": "site-req-0001"})
    assert answered and response.status_code == 201
    assert response["X-Request-ID"] == "site-req-0001"
    record = AuditEvent.objects.get(object_type="consent.consentevent",
                                    object_id=str(response.json()["id"]))
    assert record.request_id == "site-req-0001"
    assert _timed(route) == timed + 1
    generated = post(fast, f"{BASE}/decisions",
                     {"items": [{"subject": str(person.pk), "purpose": "survey"}]},
                     key("consent:decide"), **{"X-Request-ID": "bad id"})
    assert generated["X-Request-ID"] != "bad id" and len(generated["X-Request-ID"]) == 32


def test_hosts_not_allowed_are_refused(both, key, person, answered):
    """ALLOWED_HOSTS holds for the early answers too: Django refuses the host."""
    body = json.dumps({"items": [{"subject": str(person.pk), "purpose": "survey"}]})
    used = key("consent:decide")
    for client in both:
        response = client.post(f"{BASE}/decisions", body, content_type="application/json",
                               headers={"Authorization": f"Bearer {used}"},
                               HTTP_HOST="evil.example")
        assert response.status_code == 400
    assert not answered


def test_an_unexpected_error_gets_djangos_answer(both, key, person, monkeypatch):
    """An error while answering is Django's to answer (logged, a 500), as on the router."""
    def broken(batch):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(consent_api, "answer_decisions", broken)
    fast, _ = both
    kept = _kept.calls
    response = post(fast, f"{BASE}/decisions",
                    {"items": [{"subject": str(person.pk), "purpose": "survey"}]},
                    key("consent:decide"))
    assert response.status_code == 500
    assert _kept.calls == kept + 1  # the connections are looked after all the same
