"""Partner imports (policy §2.3): only records with a valid authorization are stored."""

from datetime import timedelta

import pytest
from django.utils import timezone

from piwarden.audit.models import AuditEvent
from piwarden.consent.decisions import decide
from piwarden.partners.models import ImportBatch, PartnerRecord
from piwarden.subjects.models import SubjectKind
from piwarden.vault import services as vault
from piwarden.vault.models import VaultValue
from tests.discovery.test_screening import tables_holding

from .conftest import authorization, record, submit

pytestmark = pytest.mark.django_db


def _codes(response):
    return {r["index"]: (r["status"], r["code"]) for r in response.json()["results"]}


def test_invalid_authorizations_are_refused_per_record_and_valid_records_stored(make_partner):
    """Each record without a valid authorization is rejected with its index and code; the
    valid record in the same batch is stored, PI in the vault only."""
    http = make_partner()
    today = timezone.localdate()
    no_auth = {"external_id": "r-0", "phone": "13800000001"}
    response = submit(http, [
        no_auth,
        record("r-1", phone="13800000002", email="li@example.cn",
               categories=["user.contact.phone"]),
        record("r-2", phone="13800000003",
               authorized_on=(today - timedelta(days=40)).isoformat(),
               expires_on=(today - timedelta(days=1)).isoformat()),
        record("r-3", phone="13800000004", authorized_on=(today + timedelta(days=1)).isoformat()),
        record("r-4", phone="13800000005", purposes=["marketing.sms"]),
        record("r-5", phone="13800000006", authorized_on=(today - timedelta(days=400)).isoformat()),
        record("r-6", phone="13800000007", name="王小明", email="wang@example.cn"),
        {"external_id": "r-7", "phone": "13800000008", "id_number": "110101199003074578",
         "authorization": authorization()},
        record("r-8", phone="not a phone"),
    ])
    assert response.status_code == 200, response.content
    assert _codes(response) == {
        0: ("rejected", "AUTHORIZATION_MISSING"),
        1: ("rejected", "AUTHORIZATION_SCOPE_INSUFFICIENT"),
        2: ("rejected", "AUTHORIZATION_EXPIRED"),
        3: ("rejected", "AUTHORIZATION_IN_FUTURE"),
        4: ("rejected", "AUTHORIZATION_PURPOSE_MISSING"),
        5: ("rejected", "AUTHORIZATION_EXPIRED"),
        6: ("stored", ""),
        7: ("rejected", "INVALID_RECORD"),
        8: ("rejected", "INVALID_VALUE"),
    }
    assert response.json()["results"][1]["fields"] == ["user.contact.email"]
    assert "110101199003074578" not in response.content.decode()
    stored = PartnerRecord.objects.get()
    assert stored.external_id == "r-6" and stored.subject.kind == SubjectKind.PARTNER_PERSON
    assert stored.categories == ["user.contact.email", "user.contact.phone", "user.name"]
    assert stored.authorization_reference == "AUTH-2026-0001"
    assert vault.masked(stored.subject, "phone") == "138****0007"
    assert VaultValue.objects.count() == 3  # the rejected records left nothing in the vault
    assert decide(stored.subject.pk, "partner.indirect_collection", ["user.name"]).allowed
    batch = ImportBatch.objects.get()
    assert (batch.received, batch.stored, batch.rejected) == (9, 1, 8)


def test_one_audit_record_per_batch_and_per_subject(make_partner):
    http = make_partner()
    submit(http, [record("a-1", phone="13800000011"), record("a-2", email="x@example.cn"),
                  {"external_id": "a-3", "phone": "13800000012"}])
    batch_events = AuditEvent.objects.filter(action="partners.batch_imported")
    assert batch_events.count() == 1
    assert batch_events.get().detail["rejections"] == {"AUTHORIZATION_MISSING": 1}
    received = AuditEvent.objects.filter(action="partners.record_received")
    assert received.count() == 2 and all(e.subject_id for e in received)
    text = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert "13800000011" not in text and "x@example.cn" not in text


def test_retried_batch_stores_nothing_twice(make_partner):
    http = make_partner()
    batch = [record("b-1", phone="13800000021", name="赵一"), record("b-2", phone="13800000022")]
    first = submit(http, batch)
    second = submit(http, batch)
    assert [r["status"] for r in first.json()["results"]] == ["stored", "stored"]
    assert [r["status"] for r in second.json()["results"]] == ["duplicate", "duplicate"]
    assert [r["record_id"] for r in first.json()["results"]] == \
        [r["record_id"] for r in second.json()["results"]]
    assert PartnerRecord.objects.count() == 2
    assert VaultValue.objects.filter(field="phone").count() == 2


def test_same_person_from_two_partners_is_one_subject(make_partner):
    """A subject found by blind index is reused; each partner's record keeps its source."""
    first, second = make_partner(), make_partner("partner.advertising")
    submit(first, [record("p-1", phone="13800000031")])
    submit(second, [record("p-2", phone="+86 138 0000 0031", email="same@example.cn")])
    subjects = set(PartnerRecord.objects.values_list("subject", flat=True))
    assert len(subjects) == 1


def test_duplicate_external_id_in_one_batch(make_partner):
    response = submit(make_partner(), [record("d-1", phone="13800000041"),
                                       record("d-1", phone="13800000042")])
    assert _codes(response) == {0: ("stored", ""), 1: ("rejected", "DUPLICATE_IN_BATCH")}


def test_external_id_must_not_be_pi(make_partner):
    response = submit(make_partner(), [record("13800000051", phone="13800000051"),
                                       record("me@example.cn", phone="13800000052")])
    assert {c for _, c in _codes(response).values()} == {"EXTERNAL_ID_LOOKS_LIKE_PI"}


def test_v_5_1a_a_name_holding_an_identifier_is_refused(make_partner):
    """An ID number or phone number in the name column is refused per record, and stored
    nowhere; a name with a plain number in it is a name."""
    response = submit(make_partner(), [
        record("m-1", phone="13800000071", name="张三 110101199003077571"),
        record("m-2", phone="13800000072", name="李四 13912345678"),
        record("m-3", phone="13800000073", name="王芳2")])
    assert _codes(response) == {0: ("rejected", "NAME_HOLDS_PI"),
                                1: ("rejected", "NAME_HOLDS_PI"), 2: ("stored", "")}
    assert tables_holding("110101199003077571") == []


@pytest.mark.parametrize(("version", "status", "code"), [
    (None, 422, "NOTICE_VERSION_REQUIRED"), ("2019.1", 409, "NOTICE_OUTDATED")])
def test_notice_version_required_and_current(make_partner, version, status, code):
    response = submit(make_partner(), [record("n-1", phone="13800000061")], version=version)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not PartnerRecord.objects.exists() and not VaultValue.objects.exists()


def test_outdated_notice_on_one_record(make_partner):
    stale = {**record("n-2", phone="13800000062"), "notice_version": "2019.1"}
    response = submit(make_partner(), [stale, record("n-3", phone="13800000063")])
    assert _codes(response) == {0: ("rejected", "NOTICE_OUTDATED"), 1: ("stored", "")}


def test_withdrawal_after_authorization_refuses_new_records(make_partner, system_actor):
    """The person withdrew directly with us after the partner's authorization: the partner's
    record is refused, not used to grant again."""
    from piwarden.consent import services as consent

    http = make_partner()
    submit(http, [record("w-1", phone="13800000071")])
    subject = PartnerRecord.objects.get().subject
    consent.withdraw(actor=system_actor, subject=subject, purpose="partner.indirect_collection",
                     notice_text="withdraw", channel="web")
    response = submit(http, [record("w-2", phone="13800000071", name="孙")])
    assert _codes(response) == {0: ("rejected", "CONSENT_WITHDRAWN")}
    assert vault.masked(subject, "name") is None
