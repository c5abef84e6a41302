"""The fast paths of ingestion keep its answers: cached minimization, rows streamed to the
table, the duplicate fallback, racing writers."""

import threading
import uuid
from datetime import datetime

import pytest
from django.db import connections, transaction

from piwarden import metrics
from piwarden.audit.actors import Actor
from piwarden.collection import minimize, rows, services
from piwarden.collection.models import DeviceLink, Event
from piwarden.consent import decisions
from piwarden.consent.models import Visitor
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.services import change_status, create_subject

from .conftest import event

ACTOR = Actor.system("tests")


def ingest(events, source="client:test"):
    return services.ingest(actor=ACTOR, source=source, events=events)


@pytest.mark.django_db
def test_cached_url_parts_never_carry_one_events_values_into_another(person):
    """The same path with other query values, another path, and the same URL under a kind
    with other allowed parameters are each minimized from their own text."""
    base = "https://www.example.cn/user/orders"
    batch = ingest([
        event("a", subject=person, url=f"{base}?page=1&lang=zh&utm_source=x"),
        event("b", subject=person, url=f"{base}?page=2&lang=13812345678"),
        event("c", subject=person, url="https://www.example.cn/user/li.si@example.com/orders"
                                       "?page=3"),
        event("d", subject=person, url=f"{base}?page=1&lang=zh&utm_source=x"),
        event("e", kind="download", subject=person, url=f"{base}?page=1&version=2&lang=zh"),
        event("f", subject=person, url=f"{base}?page=1&version=2&lang=zh"),
    ])
    assert {r.status for r in batch.results} == {"stored"}
    urls = dict(Event.objects.values_list("event_id", "url"))
    assert urls == {
        "a": f"{base}?page=1&lang=zh",
        "b": f"{base}?page=2&lang=%5BREDACTED%5D",
        "c": "https://www.example.cn/user/[REDACTED]/orders?page=3",
        "d": f"{base}?page=1&lang=zh",
        "e": f"{base}?version=2&lang=zh",  # download keeps version and lang, not page
        "f": f"{base}?page=1&version=2&lang=zh",
    }


def test_url_caches_stay_bounded():
    """A flood of distinct URLs cannot grow the caches without end."""
    allowed = frozenset({"page"})
    for number in range(minimize._CACHE_ENTRIES * 2 + 5):
        minimize.clean_url(f"/p/{number}?page={number}&x={number}", allowed)
    assert len(minimize._BASES) <= minimize._CACHE_ENTRIES
    names, pairs = minimize._QUERY_RULES[allowed]
    assert len(pairs) <= minimize._CACHE_ENTRIES and len(names) <= minimize._CACHE_ENTRIES
    assert minimize.clean_url("/p/1?page=7&x=1", allowed) == "/p/1?page=7"
    assert minimize.clean_url("/p/x@y.cn?page=7", allowed) == "/p/[REDACTED]?page=7"


@pytest.mark.django_db
@pytest.mark.parametrize("where", [0, 2, 4])
def test_a_batch_with_an_earlier_event_stores_the_rest(person, where):
    """A row this source sent before, first, in the middle or last: the others are stored and
    it is reported a duplicate (on PostgreSQL the streamed COPY falls back to the insert that
    tells duplicates apart)."""
    ingest([event("old", subject=person, url="/")])
    events = [event(f"n{n}", subject=person, url="/", duration_ms=n) for n in range(5)]
    events[where] = event("old", subject=person, url="/")
    batch = ingest(events)
    assert [r.status for r in batch.results] == [
        "duplicate" if n == where else "stored" for n in range(5)]
    assert Event.objects.filter(subject=person).count() == 5
    assert batch.as_json()["duplicates"] == 1


@pytest.mark.django_db
def test_a_decision_that_reads_the_database_mid_batch(person, make_subject, monkeypatch):
    """A consent decision that has to query while rows are being streamed: the stream steps
    aside for the query and carries on."""
    others = [make_subject() for _ in range(3)]
    real = decisions.decide

    def reading(subject_id, *args, **kwargs):
        assert Subject.objects.filter(pk=subject_id).exists()
        return real(subject_id, *args, **kwargs)

    monkeypatch.setattr(decisions, "decide", reading)
    batch = ingest([event(f"q{n}", subject=subject, url=f"/{n}")
                    for n, subject in enumerate([person, *others] * 3)])
    assert [r.status for r in batch.results] == ["stored"] * 12
    assert Event.objects.count() == 12


@pytest.mark.django_db
def test_links_are_written_when_the_people_have_other_links(make_subject, grant):
    """Two accounts in a batch, each with its browser, while one of them already has a link to
    the other's browser: each pair is kept apart."""
    first, second = make_subject(), make_subject()
    for person in (first, second):
        grant(person, "device.cross_device")
    browser_a, browser_b = str(uuid.uuid4()), str(uuid.uuid4())
    ingest([{**event("l1", subject=first, url="/"), "visitor": browser_b}])
    batch = ingest([{**event("l2", subject=first, url="/"), "visitor": browser_a},
                    {**event("l3", subject=second, url="/"), "visitor": browser_b}])
    assert [r.status for r in batch.results] == ["stored", "stored"]
    devices = dict(Visitor.objects.values_list("visitor_id", "subject_id"))
    assert set(DeviceLink.objects.values_list("subject_id", "device_id")) == {
        (first.pk, devices[uuid.UUID(browser_b)]), (first.pk, devices[uuid.UUID(browser_a)]),
        (second.pk, devices[uuid.UUID(browser_b)])}


@pytest.mark.django_db
def test_stored_events_are_counted_after_commit(person, django_capture_on_commit_callbacks):
    before = metrics.EVENTS_INGESTED._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        ingest([event(f"m{n}", subject=person, url="/") for n in range(3)])
        ingest([event("m0", subject=person, url="/")])  # a duplicate: nothing more
    assert metrics.EVENTS_INGESTED._value.get() == before + 3


@pytest.mark.slow
def test_racing_writers_store_each_event_once(committed_db, system_actor):
    """Two writers sending the same batch at once (a retry racing its original): every event
    is stored once, and each writer reports it stored or duplicate."""
    with transaction.atomic():
        people = [create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
                  for _ in range(20)]
    events = [event(f"r{n}", subject=people[n % 20], url=f"/r/{n}") for n in range(300)]
    outcomes, errors = [], []

    def send():
        try:
            outcomes.append(ingest([dict(e) for e in events], source="client:race"))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        assert Event.objects.filter(source="client:race").count() == 300
        for number in range(300):
            statuses = sorted(batch.results[number].status for batch in outcomes)
            assert statuses == ["duplicate", "stored"]
    finally:
        Event.objects.filter(source="client:race").delete()


def test_a_known_subject_erased_later_is_unknown_at_once(committed_db, system_actor):
    """Subjects found once are not looked up again while nothing about them changes; an
    erasure is seen by the very next batch."""
    with transaction.atomic():
        person = create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
    try:
        first = ingest([event("k1", subject=person, url="/")], source="client:known")
        again = ingest([event("k2", subject=person, url="/")], source="client:known")
        assert str(person.pk) in services._active  # answered without a lookup
        change_status(actor=system_actor, subject=person, status=SubjectStatus.ERASED,
                      reason="test")
        after = ingest([event("k3", subject=person, url="/")], source="client:known")
        assert [first.results[0].status, again.results[0].status] == ["stored", "stored"]
        assert (after.results[0].status, after.results[0].code) == ("rejected",
                                                                   "UNKNOWN_SUBJECT")
    finally:
        Event.objects.filter(source="client:known").delete()


@pytest.mark.django_db
def test_text_that_copy_would_read_as_structure_is_stored_as_sent(person):
    """Tabs, newlines and backslashes in kept values (and the final newline the event id
    pattern lets through) reach the table unchanged."""
    batch = ingest([event("t1\n", subject=person, url="/a\tb\\c?page=x\\y"),
                    event("t2", subject=person, url="/x", referrer="https://r.cn/\\N")])
    assert [r.status for r in batch.results] == ["stored", "stored"]
    rows = dict(Event.objects.values_list("event_id", "url"))
    assert rows == {"t1\n": "/a\tb\\c?page=x\\y", "t2": "/x"}
    assert Event.objects.get(event_id="t2").referrer == "https://r.cn/\\N"


@pytest.mark.django_db
def test_an_earlier_event_refused_while_the_rest_still_stream(person):
    """On PostgreSQL the server refuses the first row while later ones are still being
    written (more rows than one write): the others are stored, that one is a duplicate."""
    ingest([event("old", subject=person, url="/")])
    count = rows.Stream.CHUNK * 3
    batch = ingest([event("old", subject=person, url="/")] + [
        event(f"s{n}", subject=person, url="/", duration_ms=n) for n in range(count)])
    assert [r.status for r in batch.results] == ["duplicate"] + ["stored"] * count
    assert Event.objects.filter(subject=person).count() == count + 1


@pytest.mark.django_db
def test_values_reach_the_table_as_minimized(person, grant):
    """Times with an offset and microseconds, integers and rounded coordinates are stored as
    the screening made them (the stream writes them in the database's binary format)."""
    grant(person, "location.service")
    when = datetime.fromisoformat("2026-11-25T08:00:00.123456+08:00")
    ingest([event("v1", subject=person, when=when, url="/", duration_ms=59_999),
            event("v2", kind="location", subject=person, latitude=-31.2304164,
                  longitude=121.4737, accuracy_m=5)])
    first, second = Event.objects.get(event_id="v1"), Event.objects.get(event_id="v2")
    assert (first.occurred_at, first.duration_ms, first.subject_id) == (when, 59_999, person.pk)
    assert (second.latitude, second.longitude, second.accuracy_m) == (-31.23, 121.474, 112)
