"""Statistics for third parties: aggregates only, small cells suppressed, no identifying or
sensitive dimension, and only on flows of anonymized categories (C-2.5.5, S-4.1.2a)."""

import json
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.catalog.services import load_catalog
from piwarden.collection import services as collection
from piwarden.consent import services as consent
from piwarden.consent.models import Choice
from piwarden.sharing import packages, statistics
from piwarden.sharing.models import Disclosure, Provision
from piwarden.sharing.services import SharingError, suspend_flow

from .conftest import NAMED, write_named_catalog

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
PURPOSE = "statistics.sharing"
NOTICE = "We count visits to publish anonymous statistics. You can withdraw at any time."
SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 3, 1, tzinfo=SHANGHAI), datetime(2026, 4, 1, tzinfo=SHANGHAI)
DURING, BEFORE = datetime(2026, 3, 10, 12, tzinfo=SHANGHAI), datetime(2026, 2, 20, tzinfo=SHANGHAI)
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.0 Safari/605.1.15")


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Counting reads consent decisions' rules and the catalog: nothing cached may outlive a
    test's rollback."""


@pytest.fixture
def named_catalog(db, system_actor, tmp_path, fresh_caches):
    """The named catalog, where the advertising partner may also receive its cookie ids (on
    the cookie activity, under separate consent): a flow of PI to the same recipient."""
    named = {**NAMED, "partner.advertising": {
        **NAMED["partner.advertising"],
        "categories": ["derived.statistics", "user.online_id.cookie",
                       "user.online_id.local_storage"],
        "purposes": ["statistics.sharing", "cookies.advertising"]}}
    return load_catalog(actor=system_actor,
                        path=write_named_catalog(tmp_path / "named.yaml", named))


def people(make_subject, n, *, grant=True):
    subjects = [make_subject() for _ in range(n)]
    if grant:
        allow(subjects)
    return subjects


def allow(subjects):
    """Each person grants the statistics purpose, as the privacy center records it."""
    results = consent.record_many(actor=ACTOR, items=[
        {"subject": s, "purpose": PURPOSE, "choice": Choice.GRANT, "scope": "general",
         "notice_text": NOTICE, "channel": "web"} for s in subjects])
    assert not [r for r in results if isinstance(r, Exception)]


def visit(subjects, user_agent, when=DURING, times=2):
    """Each person views a page ``times`` times, through the real ingestion."""
    events = [{"event_id": uuid.uuid4().hex, "kind": "page_view",
               "occurred_at": when.isoformat(), "subject": str(s.pk),
               "data": {"url": "https://www.example.cn/products?page=2&sort=new",
                        "user_agent": user_agent, "ip": "203.0.113.7"}}
              for s in subjects for _ in range(times)]
    batch = collection.ingest(actor=ACTOR, source="client:test", events=events)
    assert batch.count("stored") == len(events)


def count(*dimensions, dataset="events"):
    return statistics.aggregate(dataset=dataset, dimensions=list(dimensions), start=START,
                                end=END, purpose=PURPOSE)


def export(flow, *dimensions):
    return statistics.export_statistics(actor=ACTOR, flow=flow, dataset="events",
                                        dimensions=list(dimensions), start=START, end=END)


def test_c_2_5_5_statistics_export_has_no_cell_under_k(make_subject, settings):
    """Cells of 25 and 10 people are counted exactly and the cell of 3 is left out; events
    outside the window are not counted; the threshold follows the setting, never below 2."""
    chrome = people(make_subject, 25)
    visit(chrome, CHROME)
    visit(chrome[:5], CHROME, when=BEFORE)
    visit(people(make_subject, 10), FIREFOX)
    visit(people(make_subject, 3), SAFARI)

    result = count("browser")
    assert result.rows == [{"browser": "Chrome 120", "people": 25, "events": 50},
                           {"browser": "Firefox 121", "people": 10, "events": 20}]
    assert (result.suppressed, result.people, result.min_cell) == (1, 38, 10)
    assert "Safari" not in json.dumps(result.rows)
    assert "people" not in result.description()  # no total beside the cells

    by_month = count("month", "browser", "os")
    assert by_month.rows[0] == {"month": "2026-03-01", "browser": "Chrome 120",
                                "os": "Windows 10", "people": 25, "events": 50}
    assert count("page").rows == [{"page": "https://www.example.cn/products", "people": 38,
                                   "events": 76}]

    settings.PIWARDEN_STATISTICS_MIN_CELL = 11
    result = count("browser")
    assert [row["browser"] for row in result.rows] == ["Chrome 120"]
    assert result.suppressed == 2
    settings.PIWARDEN_STATISTICS_MIN_CELL = 3
    assert [row["people"] for row in count("browser").rows] == [25, 10, 3]
    settings.PIWARDEN_STATISTICS_MIN_CELL = 1  # a cell of one person describes that person
    with pytest.raises(ImproperlyConfigured):
        count("browser")


def test_c_2_5_5_only_people_whose_consent_allows_it_are_counted(make_subject):
    """People who never granted the statistics purpose are not counted, and a withdrawal
    takes a person out of the next count."""
    granted = people(make_subject, 10)
    visit(granted + people(make_subject, 5, grant=False), CHROME)
    result = count("browser")
    assert result.rows == [{"browser": "Chrome 120", "people": 10, "events": 20}]
    assert result.people == 10

    consent.withdraw(actor=Actor.person(granted[0]), subject=granted[0], purpose=PURPOSE,
                     scope="general", notice_text=NOTICE, channel="web")
    result = count("browser")
    assert (result.rows, result.suppressed) == ([], 1)


def test_c_2_5_5_a_browser_carried_over_to_its_account_is_one_person(make_subject):
    """Nine account holders and a browser make ten subjects; once the browser is carried over
    to one of the accounts they are nine people, under the threshold."""
    holders = people(make_subject, 9)
    visitor_id = uuid.uuid4()
    browser = consent.visitor_subject(actor=ACTOR, visitor_id=visitor_id)
    allow([browser])
    visit([*holders, browser], CHROME)
    assert count("browser").rows == [{"browser": "Chrome 120", "people": 10, "events": 20}]

    consent.link_visitor(actor=Actor.person(holders[0]), visitor_id=visitor_id,
                         subject=holders[0])
    result = count("browser")
    assert (result.rows, result.suppressed) == ([], 1)


def test_c_2_5_5_accounts_by_sign_up_month(make_subject):
    """Accounts are counted by sign-up day or month in the site's time zone, never by anything
    about the person; days with two sign-ups are left out."""
    for n, signed_up in ((12, datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)),
                         (2, datetime(2026, 3, 1, 2, tzinfo=SHANGHAI)),  # 28 February in UTC
                         (2, datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI))):
        for subject in people(make_subject, n):
            user = get_user_model().objects.create_user(username=f"u{uuid.uuid4().hex}")
            account = Account.objects.create(user=user, subject=subject)
            Account.objects.filter(pk=account.pk).update(created_at=signed_up)
    result = count("day", dataset="accounts")
    assert result.rows == [{"day": "2026-03-02", "people": 12}]
    assert (result.suppressed, result.people) == (2, 16)
    result = count("month", dataset="accounts")
    assert (result.rows, result.suppressed) == ([{"month": "2026-03-01", "people": 16}], 0)
    with pytest.raises(SharingError) as refused:
        count("id_type", dataset="accounts")
    assert refused.value.code == "IDENTIFYING_DIMENSION"


def test_c_2_5_5_identifying_dimension_is_refused(activate, make_subject):
    """An export by user id, subject, IP, event id, whole URL or coordinates is refused with
    422 before anything is counted, and nothing is recorded: no provision, no audit record."""
    flow = activate("statistics.third_party", "partner.advertising")
    visit(people(make_subject, 10), CHROME)
    audits, provisions = AuditEvent.objects.count(), Provision.objects.count()
    for dimensions in (["user_id"], ["subject"], ["subject_id"], ["ip"], ["browser", "user_id"],
                       ["event_id"], ["url"], ["referrer"], ["latitude", "longitude"]):
        with pytest.raises(SharingError) as refused:
            export(flow, *dimensions)
        assert (refused.value.code, refused.value.status) == ("IDENTIFYING_DIMENSION", 422)
        assert "user_id" not in refused.value.detail["allowed"]
    for dimensions, code in (([], "NO_DIMENSION"), (["browser"], "UNKNOWN_DATASET")):
        with pytest.raises(SharingError) as refused:
            statistics.export_statistics(
                actor=ACTOR, flow=flow, dataset="events" if dimensions == [] else "people",
                dimensions=dimensions, start=START, end=END)
        assert (refused.value.code, refused.value.status) == (code, 422)
    with pytest.raises(SharingError) as refused:
        statistics.export_statistics(actor=ACTOR, flow=flow, dataset="events",
                                     dimensions=["browser"], start=END, end=START)
    assert refused.value.code == "INVALID_WINDOW"
    assert (AuditEvent.objects.count(), Provision.objects.count()) == (audits, provisions)


def test_c_2_5_5_dimension_from_a_sensitive_category_is_refused(system_actor, tmp_path):
    """A listed dimension whose values come from a category the catalog grades sensitive is
    refused as well."""
    text = Path(django_settings.PIWARDEN_CATALOG_FILE).read_text(encoding="utf-8")
    key = "          - key: user.device.connection\n"
    assert key in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(key, key + "            grade: sensitive\n", 1),
                    encoding="utf-8")
    load_catalog(actor=system_actor, path=path)
    for dimension in ("language", "network_type"):
        with pytest.raises(SharingError) as refused:
            count("browser", dimension)
        assert refused.value.code == "IDENTIFYING_DIMENSION"
        assert refused.value.detail == {"refused": [dimension],
                                        "categories": ["user.device.connection"]}
    assert count("browser").rows == []


def test_s_4_1_2a_ad_partner_gets_only_aggregates(activate, make_subject):
    """The advertising partner's statistics flow carries only anonymized categories, and its
    package holds the table alone: no id, no per-person row, no total. A flow of PI to the
    same partner, or a suspended flow, cannot carry statistics."""
    flow = activate("statistics.third_party", "partner.advertising")
    assert flow.categories == ["derived.statistics"]
    subjects = people(make_subject, 12)
    visit(subjects, CHROME)
    visit(people(make_subject, 4), FIREFOX)

    done = export(flow, "browser", "device_type")
    assert (done.cells, done.suppressed) == (1, 1) and done.link_token
    provision = done.provision
    assert provision.categories == ["derived.statistics"] and provision.considered == 16
    assert not Disclosure.objects.filter(provision=provision).exists()
    text = packages.open_package(provision).decode()
    package = json.loads(text)
    assert package["rows"] == [{"browser": "Chrome 120", "device_type": "desktop",
                                "people": 12, "events": 24}]
    assert package["statistics"]["suppressed_cells"] == 1
    assert "people" not in package["statistics"]
    for subject in subjects:
        assert str(subject.pk) not in text and subject.pk.hex not in text
    assert "203.0.113" not in text and "Firefox" not in text
    assert AuditEvent.objects.filter(action="sharing.statistics_provided").count() == 1

    cookies = activate("cookies.partner_advertising", "partner.advertising")
    assert cookies.categories == ["user.online_id.cookie", "user.online_id.local_storage"]
    with pytest.raises(SharingError) as refused:
        export(cookies, "browser")
    assert refused.value.code == "FLOW_NOT_STATISTICS"

    suspend_flow(actor=ACTOR, flow=flow, reason="Contract under review.")
    with pytest.raises(SharingError) as refused:
        export(flow, "browser")
    assert (refused.value.code, refused.value.status) == ("FLOW_INACTIVE", 409)
    assert Provision.objects.count() == 1
