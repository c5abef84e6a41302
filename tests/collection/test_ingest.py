"""Ingestion: minimization before storage, consent at that moment, idempotency, the API."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.collection import services
from piwarden.collection.models import DeviceLink, Event
from piwarden.consent import services as consent
from piwarden.consent.models import Visitor

from .conftest import NOTICE, URL, event

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


def ingest(events, source="client:test"):
    return services.ingest(actor=ACTOR, source=source, events=events)


def test_undeclared_fields_are_dropped_and_counted(person):
    """An event with undeclared fields (app lists, sensor data, anything else) is stored
    without them, and the response counts what was dropped."""
    batch = ingest([event("e1", subject=person, url="https://www.example.cn/", duration_ms=900,
                          app_list=["wechat", "alipay"], sensor_data={"gyro": [0, 1]},
                          network_type="wifi", user_agent=CHROME)])
    assert batch.as_json()["dropped"] == {"app_list": 1, "network_type": 1, "sensor_data": 1}
    assert batch.results[0].as_json() == {"event_id": "e1", "status": "stored",
                                          "dropped": ["app_list", "network_type",
                                                      "sensor_data"]}
    row = Event.objects.get(event_id="e1")
    assert (row.url, row.duration_ms, row.network_type) == ("https://www.example.cn/", 900, "")
    assert (row.browser, row.os, row.device_type) == ("Chrome 120", "Windows 10", "desktop")
    assert row.activity == "log.access" and row.subject_id == person.pk


def test_device_event_parses_the_user_agent_and_keeps_no_ip(person):
    ingest([event("d1", kind="device", subject=person, user_agent=IPHONE, language="zh-CN",
                  network_type="4g", screen="390x844", ip="203.0.113.9")])
    row = Event.objects.get(event_id="d1")
    assert (row.browser, row.os, row.device_type) == ("Mobile Safari 17", "iOS 17", "mobile")
    assert (row.language, row.network_type, row.screen, row.ip) == ("zh-CN", "4g", "390x844", "")


def test_ips_are_truncated_by_default(person):
    """IPs are never stored whole unless the catalog allows it."""
    ingest([event("v4", subject=person, url="/", ip="203.0.113.77"),
            event("v6", subject=person, url="/", ip="2001:db8:1234:5678::9")])
    assert dict(Event.objects.values_list("event_id", "ip")) == {
        "v4": "203.0.113.0/24", "v6": "2001:db8:1234::/48"}


def test_ips_pseudonymized_with_a_key_when_the_catalog_says_so(person, catalog_with, settings):
    catalog_with("      activity: log.access\n      ip: truncate",
                 "      activity: log.access\n      ip: pseudonymize")
    ingest([event("a", subject=person, url="/", ip="203.0.113.77"),
            event("b", subject=person, url="/", ip="203.0.113.77"),
            event("c", subject=person, url="/", ip="203.0.113.78")])
    ips = dict(Event.objects.values_list("event_id", "ip"))
    assert ips["a"] == ips["b"] != ips["c"] and ips["a"].startswith("hmac:")
    assert "203.0.113" not in ips["a"]
    settings.PIWARDEN_IP_PSEUDONYM_KEY = "another key"
    ingest([event("d", subject=person, url="/", ip="203.0.113.77")])
    assert Event.objects.get(event_id="d").ip != ips["a"]


def test_whole_ips_only_where_the_catalog_keeps_them(person, catalog_with):
    catalog_with("      activity: log.access\n      ip: truncate",
                 "      activity: log.access\n      ip: keep")
    ingest([event("k", subject=person, url="/", ip="203.0.113.77")])
    assert Event.objects.get(event_id="k").ip == "203.0.113.77"


def test_query_strings_keep_only_allowed_parameters_and_pi_is_redacted(person):
    ingest([event("u", subject=person,
                  url="https://u:pw@www.example.cn/user/zhang.san%40example.com/orders"
                      "?page=2&utm_source=ad&email=a%40b.cn&lang=zh#top",
                  referrer="https://search.example/?q=13812345678&page=1x"
                           "&product=11010519491231002X")])
    row = Event.objects.get(event_id="u")
    assert row.url == "https://www.example.cn/user/[REDACTED]/orders?page=2&lang=zh"
    assert row.referrer == "https://search.example/?page=1x&product=%5BREDACTED%5D"
    ingest([event("p", subject=person, url="/call/+86 139 1234 5678/id/11010519491231002x")])
    assert "1234" not in Event.objects.get(event_id="p").url


def test_location_without_permission_is_refused_and_nothing_stored(api, person):
    """Location without the person's permission at that moment → 403 and nothing stored."""
    body = {"events": [event("loc", kind="location", subject=person, latitude=31.230416,
                             longitude=121.473701, accuracy_m=5)]}
    response = api("collection:write").post(URL, body, content_type="application/json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "CONSENT_REQUIRED"
    assert error["detail"]["results"] == [{"event_id": "loc", "status": "rejected",
                                           "code": "LOCATION_NOT_PERMITTED"}]
    assert not Event.objects.exists()


def test_location_with_permission_is_stored_at_catalog_precision(api, person, grant):
    grant(person, "location.service")
    body = {"events": [event("loc", kind="location", subject=person, latitude=31.230416,
                             longitude=121.473701, accuracy_m=5)]}
    response = api("collection:write").post(URL, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["stored"] == 1
    row = Event.objects.get(event_id="loc")
    assert (row.latitude, row.longitude, row.accuracy_m) == (31.23, 121.474, 112)
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="location.service",
                     scope=consent.applicable_scopes("location.service")[-1],
                     notice_text=NOTICE, channel="web")
    again = ingest([event("loc2", kind="location", subject=person, latitude=31.2,
                          longitude=121.4)])
    assert again.results[0].code == "LOCATION_NOT_PERMITTED"
    assert not Event.objects.filter(event_id="loc2").exists()


def test_a_duplicate_batch_stores_nothing_twice(api, person):
    body = {"events": [event(f"e{n}", subject=person, url="/", duration_ms=n)
                       for n in range(5)]}
    site = api("collection:write")
    first = site.post(URL, body, content_type="application/json").json()
    second = site.post(URL, body, content_type="application/json").json()
    assert (first["stored"], first["duplicates"]) == (5, 0)
    assert (second["stored"], second["duplicates"]) == (0, 5)
    assert {r["status"] for r in second["results"]} == {"duplicate"}
    assert Event.objects.count() == 5


def test_duplicates_within_a_batch_and_sources_are_separate(person):
    batch = ingest([event("same", subject=person, url="/a"), event("same", subject=person,
                                                                   url="/b")])
    assert [r.status for r in batch.results] == ["stored", "duplicate"]
    other = ingest([event("same", subject=person, url="/c")], source="client:other")
    assert other.results[0].status == "stored"
    assert Event.objects.filter(event_id="same").count() == 2


def test_ids_are_per_person_so_one_persons_rows_stay_together(person, make_subject):
    """The unique key leads with the subject (an erasure then touches one person's part of
    the index); a retry is the same person's event, another person's is not a duplicate."""
    someone = make_subject()
    ingest([event("id-1", subject=person, url="/a")])
    again = ingest([event("id-1", subject=person, url="/a"),
                    event("id-2", subject=someone, url="/b")])
    later = ingest([event("id-1", subject=someone, url="/c")])
    assert [r.status for r in again.results + later.results] == [
        "duplicate", "stored", "stored"]
    assert Event.objects.filter(event_id="id-1").count() == 2
    third = make_subject()
    mixed = ingest([event("id-1", subject=person, url="/a"), event("id-1", subject=third,
                                                                   url="/d"),
                    event("id-1", subject=third, url="/e")])
    assert [r.status for r in mixed.results] == ["duplicate", "stored", "duplicate"]
    assert Event.objects.filter(event_id="id-1").count() == 3


def test_one_audit_record_per_batch_without_values(person):
    before = AuditEvent.objects.count()
    ingest([event(subject=person, url="/x", ip="198.51.100.23") for _ in range(50)])
    records = list(AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before])
    assert len(records) == 1
    record = records[0]
    assert record.action == "collection.events_ingested" and record.purpose == "log.operation"
    assert record.detail["stored"] == 50
    assert "user.log.ip_address" in record.categories
    assert "198.51.100" not in str(record.detail)


def test_rejections_have_codes(person):
    erased = uuid.uuid4()
    batch = ingest([
        {"kind": "page_view"},
        event("k", kind="sensors", subject=person, url="/"),
        event("t", subject=person, url="/", when=timezone.now() + timedelta(hours=1)),
        {**event("t2", subject=person, url="/"), "occurred_at": "2026-01-01T00:00:00"},
        event("s", subject=erased, url="/"),
        {**event("n", url="/")},
        {**event("d", subject=person), "data": "x"},
        event("f", subject=person, app_list=["x"]),
        "not an object",
    ])
    assert [(r.status, r.code) for r in batch.results] == [
        ("rejected", "INVALID_EVENT_ID"), ("rejected", "UNKNOWN_KIND"),
        ("rejected", "INVALID_TIME"), ("rejected", "INVALID_TIME"),
        ("rejected", "UNKNOWN_SUBJECT"), ("rejected", "SUBJECT_REQUIRED"),
        ("rejected", "INVALID_DATA"), ("rejected", "NO_DECLARED_FIELDS"),
        ("rejected", "INVALID_EVENT_ID")]
    assert not Event.objects.exists()


def test_malformed_values_are_dropped_not_stored(person):
    batch = ingest([event("m", subject=person, url="javascript:alert(1)", ip="not-an-ip",
                          duration_ms=-5, user_agent=CHROME)])
    assert sorted(batch.results[0].dropped) == ["duration_ms", "ip", "url"]
    row = Event.objects.get(event_id="m")
    assert (row.url, row.ip, row.duration_ms) == ("", "", None)


def test_visitor_events_go_to_the_visitor_subject(person):
    visitor_id = uuid.uuid4()
    batch = ingest([{**event("v", url="/"), "visitor": str(visitor_id)}])
    assert batch.results[0].status == "stored"
    visitor = Visitor.objects.get(visitor_id=visitor_id)
    assert Event.objects.get(event_id="v").subject_id == visitor.subject_id


def test_cross_device_association_only_with_its_purpose(person, grant):
    visitor_id = uuid.uuid4()
    batch = ingest([{**event("x1", subject=person, url="/"), "visitor": str(visitor_id)}])
    assert batch.results[0].dropped == ["visitor"]
    assert not DeviceLink.objects.exists()
    assert Event.objects.get(event_id="x1").subject_id == person.pk
    grant(person, "device.cross_device")
    refused = ingest([{**event("x0", kind="location", subject=person, latitude=1.0,
                               longitude=2.0), "visitor": str(visitor_id)}])
    assert refused.results[0].status == "rejected"
    assert not DeviceLink.objects.exists()  # nothing of a rejected event is kept
    ingest([{**event("x2", subject=person, url="/"), "visitor": str(visitor_id)}])
    link = DeviceLink.objects.get()
    assert (link.subject_id, link.device_id) == (
        person.pk, Visitor.objects.get(visitor_id=visitor_id).subject_id)


def test_api_needs_the_scope(api, client, person):
    body = {"events": [event(subject=person, url="/")]}
    assert client.post(URL, body, content_type="application/json").status_code == 401
    response = api("consent:decide").post(URL, body, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"events": []}, 422, "EMPTY_BATCH"),
    ({"events": [{"event_id": str(n)} for n in range(1001)]}, 422, "VALIDATION_ERROR"),
    ({"events": "x"}, 422, "VALIDATION_ERROR"),
    ({"nothing": 1}, 422, "VALIDATION_ERROR"),
    ({"events": [{"event_id": "a", "kind": "page_view"}]}, 422, "EVENTS_REJECTED"),
])
def test_bad_batches_get_4xx(api, body, status, code):
    response = api("collection:write").post(URL, body, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_batch_limit_in_the_service(person):
    with pytest.raises(services.BatchError):
        ingest([event(subject=person, url="/")] * (services.MAX_BATCH + 1))


def test_api_stores_a_mixed_batch(api, person):
    body = {"events": [event("ok", subject=person, url="/", ip="203.0.113.5"),
                       event("no", kind="location", subject=person, latitude=1, longitude=2)]}
    response = api("collection:write").post(URL, body, content_type="application/json")
    assert response.status_code == 200
    assert [(r["status"], r.get("code")) for r in response.json()["results"]] == [
        ("stored", None), ("rejected", "LOCATION_NOT_PERMITTED")]
    assert Event.objects.get().source.startswith("client:")
