"""POST /api/v1/discovery/scan: scoped, code-point spans, batches, limits, never the value."""

import json
import logging

import pytest
from django.test import Client

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.clients.services import create_client
from piwarden.discovery import scanning
from tests.staff import staff_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/discovery/scan"
RESIDENT_ID = "110101199003077571"  # GB 11643 check digit 1 (…578 would be wrong)
MOBILE = "13912345678"
EMAIL = "zhang.san@example.com"
GLUED = f"请回电{MOBILE}，身份证号{RESIDENT_ID}已上传，邮箱{EMAIL}谢谢"


def _key(*scopes: str) -> str:
    _client, key = create_client(actor=Actor.system("tests"), name="-".join(scopes) or "none",
                                 scopes=list(scopes))
    return key


@pytest.fixture
def api():
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {_key('discovery:scan')}"
    return client


def _post(client, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **extra)


def _spans(text: str, findings: list[dict]) -> list[tuple[str, str]]:
    return [(found["type"], text[found["start"]:found["end"]]) for found in findings]


def test_i18_scan_without_credentials_is_401():
    """No key and no staff session: 401 UNAUTHENTICATED."""
    response = _post(Client(), {"text": GLUED})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def test_i18_scan_without_the_scope_is_403():
    """A valid key without discovery:scan: 403 FORBIDDEN naming the scope."""
    response = _post(Client(), {"text": GLUED},
                     HTTP_AUTHORIZATION=f"Bearer {_key('catalog:read')}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert "discovery:scan" in response.json()["error"]["message"]


def test_v_5_1a_glued_chinese_text_gets_code_point_spans(api):
    """Numbers glued to Chinese characters are found; start/end are str indices, so
    text[start:end] is the value (checked here, never sent back)."""
    response = _post(api, {"text": GLUED})
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert _spans(GLUED, findings) == [("cn_mobile", MOBILE), ("cn_resident_id", RESIDENT_ID),
                                       ("email", EMAIL)]
    assert [f["category"] for f in findings] == ["user.contact.phone", "user.id_info",
                                                 "user.contact.email"]
    assert all(0 < f["confidence"] <= 1 for f in findings)


def test_v_5_1a_offsets_count_code_points_not_utf16_units(api):
    """A character outside the BMP (one code point, two UTF-16 units, four UTF-8 bytes)
    before the value moves it by one."""
    text = f"😀😀身份证{RESIDENT_ID}"
    [found] = _post(api, {"text": text}).json()["findings"]
    assert (found["start"], found["end"]) == (5, 23)


def test_v_5_1a_near_misses_are_not_reported(api):
    """A wrong check digit and a version string in a user agent are no findings."""
    text = "身份证号110101199003077578已上传 Chrome/124.0.0.0 Safari/537.36"
    assert _post(api, {"text": text}).json() == {"findings": []}


def test_i18_batch_answers_each_text_in_order(api):
    """``texts`` is answered as ``results``, one entry per text, in order."""
    texts = [GLUED, "", "nothing here", f"mail {EMAIL}"]
    response = _post(api, {"texts": texts})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [len(result["findings"]) for result in results] == [3, 0, 0, 1]
    assert _spans(texts[3], results[3]["findings"]) == [("email", EMAIL)]
    assert _post(api, {"texts": []}).json() == {"results": []}


def test_i18_types_restrict_the_findings(api):
    """``types`` keeps only the detector types named; an unknown type is 422 UNKNOWN_TYPE."""
    findings = _post(api, {"text": GLUED, "types": ["cn_resident_id"]}).json()["findings"]
    assert _spans(GLUED, findings) == [("cn_resident_id", RESIDENT_ID)]
    response = _post(api, {"text": GLUED, "types": ["cn_resident_id", "passport_number"]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "UNKNOWN_TYPE"
    assert error["detail"]["unknown"] == ["passport_number"]
    assert "cn_passport" in error["detail"]["known"]


def test_i18_text_or_texts_exactly_one(api):
    """Neither or both of text and texts: 422 TEXT_REQUIRED."""
    for body in ({}, {"types": ["email"]}, {"text": "a", "texts": ["b"]}):
        response = _post(api, body)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "TEXT_REQUIRED"


def test_i18_limits_are_refused_with_their_codes(api):
    """Over 100 texts: 413 TOO_MANY_TEXTS; a text over 100,000 characters: 413
    TEXT_TOO_LONG naming it; exactly at the limits is scanned."""
    response = _post(api, {"texts": ["x"] * (scanning.MAX_TEXTS + 1)})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "TOO_MANY_TEXTS")
    long = "身" * (scanning.MAX_CHARS + 1)
    response = _post(api, {"texts": ["ok", long]})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "TEXT_TOO_LONG")
    assert response.json()["error"]["detail"]["indexes"] == [1]
    assert _post(api, {"text": long}).status_code == 413
    at_limit = "身" * (scanning.MAX_CHARS - len(RESIDENT_ID)) + RESIDENT_ID
    response = _post(api, {"texts": [at_limit] * 3})
    assert response.status_code == 200
    assert [r["findings"][0]["end"] for r in response.json()["results"]] == [
        scanning.MAX_CHARS] * 3


def test_i18_a_body_over_the_memory_limit_is_413_json(api, settings):
    """A body larger than Django reads into memory: 413 TOO_LARGE, not a 400 page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = _post(api, {"text": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "TOO_LARGE"


@pytest.mark.parametrize("body", [
    "not json", "[1, 2]", '{"text": 5}', '{"texts": "one"}', '{"texts": [1, null]}',
    '{"text": null, "texts": null}', '{"text": "a", "types": "email"}',
    '{"text": "a\\u0000b"}', '{"text": "\\ud800"}', '{"texts": [[["deep"]]]}', "",
])
def test_i18_bad_input_is_a_4xx_json_error(api, body):
    """Malformed bodies are refused with a JSON error and a code, never a 500."""
    response = _post(api, body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"]


def test_i18_the_answer_never_holds_a_value(api):
    """The values appear nowhere in the answer: single, batch, or a refusal."""
    refused = ({"texts": GLUED}, {"text": [GLUED]}, {"texts": [1, GLUED]},
               {"text": GLUED, "types": ["x"]}, {"texts": [GLUED] * 101})
    for body in ({"text": GLUED}, {"texts": [GLUED, GLUED]}, *refused):
        content = _post(api, body).content.decode()
        for value in (MOBILE, RESIDENT_ID, EMAIL, "zhang.san"):
            assert value not in content


def test_i18_one_audit_record_with_counts_and_no_value(api, caplog):
    """Each call leaves one audit record (texts, findings by type, categories), and neither
    the record nor any log line holds a value or the text."""
    before = AuditEvent.objects.count()
    with caplog.at_level(logging.DEBUG):
        _post(api, {"texts": [GLUED, f"again {RESIDENT_ID}"]})
    [event] = AuditEvent.objects.order_by("-seq")[:AuditEvent.objects.count() - before]
    assert event.action == "discovery.texts_scanned"
    assert event.actor_kind == "api_client"
    assert event.detail == {"texts": 2, "findings": {"cn_mobile": 1, "cn_resident_id": 2,
                                                     "email": 1}}
    assert sorted(event.categories) == ["user.contact.email", "user.contact.phone",
                                        "user.id_info"]
    stored = json.dumps([event.detail, event.categories, event.object_id])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in (MOBILE, RESIDENT_ID, EMAIL, "请回电"):
        assert value not in stored
        assert value not in logged


def test_i18_staff_session_needs_the_permission_and_csrf():
    """A staff session holding the scope's permission may scan, with the CSRF token; without
    the token: 403 CSRF_FAILED; without the permission: 403 FORBIDDEN."""
    client = staff_client("discovery", "view_finding")
    client.handler.enforce_csrf_checks = True
    refused = _post(client, {"text": GLUED})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "CSRF_FAILED")
    client.get("/admin/discovery/scan/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = _post(client, {"text": GLUED}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert len(response.json()["findings"]) == 3
    other = staff_client("discovery", name="other")
    response = _post(other, {"text": GLUED})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
