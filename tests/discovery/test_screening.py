"""Screening free text at collection (V-5.1a, C-2.2.2): sensitive PI without separate consent
and PI the purpose does not declare are redacted before storage, so they are stored nowhere;
each screening that finds something is audited by type, category and count, never by value."""

import re

import pytest
from django.db import connection, transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import decisions
from piwarden.consent import services as consent
from piwarden.discovery import screening
from piwarden.leads.models import Lead
from piwarden.subjects.models import SubjectKind
from piwarden.vault import services as vault
from piwarden.vault.models import VaultValue

pytestmark = pytest.mark.django_db

VALID_ID = "110101199003077571"  # GB 11643 check character 1
MISTYPED_ID = "110101199003077578"  # the example: same number, wrong check character
MOBILE = "13912345678"
EMAIL = "zhang.san@example.com"
USCC = "91110000600037341L"


@pytest.fixture(autouse=True)
def _fresh(fresh_caches, settings):
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 0


def _log_text(caplog) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'params', '')} "
                     f"{getattr(r, 'sql', '')}" for r in caplog.records)


def tables_holding(needle: str) -> list[str]:
    """Every table.column of the database whose text or bytes hold ``needle``."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, memoryview | bytes | bytearray):
                        found = needle.encode() in bytes(value)
                    else:
                        found = value is not None and needle in str(value)
                    if found:
                        hits.append(f"{table}.{name}")
    return hits


def revealed(subject, purpose: str) -> dict[str, str]:
    """Every vault value of the subject, decrypted through the vault's own reveal."""
    actor = Actor.system("tests")
    return {field: vault.reveal(actor=actor, subject=subject, field=field, purpose=purpose)
            for field in VaultValue.objects.filter(subject=subject)
            .values_list("field", flat=True)}


def _contact_form(client, message: str):
    page = client.get("/contact/").content.decode()
    data = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
            for name in ("notice_version", "started")}
    return client.post("/contact/", {**data, "phone": MOBILE, "email": "", "name": "张三",
                                     "message": message, "contact_ok": "on", "website": ""})


def _api(client, message: str, **extra):
    return client.post("/api/v1/leads/", {
        "phone": MOBILE, "message": message, "contact_ok": True,
        "notice_version": consent.policy_version(), **extra}, content_type="application/json")


@pytest.mark.parametrize("id_number", [MISTYPED_ID, VALID_ID])
@pytest.mark.parametrize("channel", ["form", "api"])
def test_v_5_1a_id_number_in_callback_remark_is_stored_nowhere(client, logged, channel,
                                                              id_number):
    """The ID number is in no column of any table (vault ciphertext included: decrypted, it is
    gone too), not in the audit trail, not in any log line; the phone number stays, since the
    call-back purpose declares it."""
    remark = f"请回电 {MOBILE}，身份证{id_number}"
    response = (_contact_form if channel == "form" else _api)(client, remark)
    assert response.status_code in (201, 302), response.content
    lead = Lead.objects.get()
    assert tables_holding(id_number) == []
    assert tables_holding(id_number[:17]) == []
    values = revealed(lead.subject, "lead.callback")
    assert values["leads_message"] == f"请回电 {MOBILE}，身份证[REDACTED]"
    assert all(id_number[:17] not in value for value in values.values())
    assert id_number[:17] not in _log_text(logged)
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.subject_id == lead.subject_id and record.purpose == "lead.callback"
    assert record.detail == {"field": "leads_message", "source": "leads.submit",
                             "found": {"cn_mobile": 1, "cn_resident_id": 1},
                             "redacted": ["user.id_info"]}
    assert record.categories == ["user.contact.phone", "user.id_info"]


def test_v_5_1a_remark_keeps_what_the_purpose_declares_and_redacts_the_rest(client):
    """E-mail and phone are declared by the call-back purpose: kept. An IP address and a bank
    card are not (and a card is sensitive): redacted. An organisation's code is kept."""
    card = "6222021234567890128"  # Luhn-valid
    remark = f"Mail {EMAIL} or call {MOBILE}; from 203.0.113.7; card {card}; company {USCC}"
    assert _api(client, remark).status_code == 201
    lead = Lead.objects.get()
    message = revealed(lead.subject, "lead.callback")["leads_message"]
    assert message == (f"Mail {EMAIL} or call {MOBILE}; from [REDACTED]; card [REDACTED]; "
                       f"company {USCC}")
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail["redacted"] == ["user.financial.bank_account", "user.log.ip_address"]
    assert set(record.detail["found"]) == {"email", "cn_mobile", "ipv4", "bank_card",
                                           "cn_uscc"}
    assert EMAIL not in str(record.detail) and card not in str(record.detail)


def test_nothing_found_writes_no_record(client):
    assert _api(client, "Please call me after 6 pm about the ECU tuner.").status_code == 201
    assert not AuditEvent.objects.filter(action="discovery.screened").exists()


def test_v_5_1a_id_in_the_name_field_is_redacted_too(client):
    assert _api(client, "Hi", name=f"张三 {VALID_ID}").status_code == 201
    lead = Lead.objects.get()
    assert revealed(lead.subject, "lead.callback")["name"] == "张三 [REDACTED]"
    assert tables_holding(VALID_ID) == []


def test_c_2_2_2_sensitive_pi_is_kept_only_with_separate_consent(make_subject, system_actor):
    """The decision comes from the consent ledger: the same text under a purpose whose
    activities declare ID information keeps the number only after a separate consent."""
    subject = make_subject(SubjectKind.ACCOUNT_HOLDER)
    text = f"身份证{VALID_ID}"
    with transaction.atomic():
        before = screening.screen(text, actor=system_actor, subject=subject,
                                  purpose="payment.invoicing", field="payments_remarks",
                                  source="tests")
    assert before.text == "身份证[REDACTED]" and before.redacted == ["user.id_info"]
    consent.grant(actor=Actor.person(subject), subject=subject, purpose="payment.invoicing",
                  scope="separate.sensitive", notice_text="separate", channel="web")
    decisions.clear_cache()
    with transaction.atomic():
        after = screening.screen(text, actor=system_actor, subject=subject,
                                 purpose="payment.invoicing", field="payments_remarks",
                                 source="tests")
    assert after == screening.Screened(text, {"cn_resident_id": 1}, [])
    with transaction.atomic():  # a purpose resting on a legal duty: no consent, no number
        duty = screening.screen(text, actor=system_actor, subject=subject,
                                purpose="rights.requests", field="rights_details",
                                source="tests")
    assert duty.redacted == ["user.id_info"]


def test_expected_category_is_kept_and_the_end_is_cut_to_the_limit(make_subject,
                                                                   system_actor):
    subject = make_subject(SubjectKind.LEAD)
    with transaction.atomic():
        kept = screening.screen(VALID_ID, actor=system_actor, subject=subject,
                                purpose="rights.requests", field="rights_details",
                                source="tests", expected=["user.id_info"])
        cut = screening.screen("ip 1.2.3.4 ip 1.2.3.4", actor=system_actor, subject=subject,
                               purpose="lead.callback", field="leads_message", source="tests",
                               max_length=21)
    assert kept.text == VALID_ID and kept.redacted == []
    assert cut.text == "ip [REDACTED] ip [RED"  # never longer than the person could type

