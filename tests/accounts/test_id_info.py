"""ID information: asked only for a service that needs it, saved only with a separate
consent, checked by its GB 11643 check digit and birth date; a child's ID waits for the
guardian (PIPL Art. 31) and nothing is stored before."""

import datetime
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone
from stdnum.cn import ric

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import GuardianRequest
from piwarden.consent.decisions import decide
from piwarden.consent.models import ConsentEvent
from piwarden.vault import services as vault

pytestmark = pytest.mark.django_db
BASE = "/api/v1/account"


def resident_id(born: datetime.date, region="110105", seq="123") -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


ADULT_ID = resident_id(datetime.date(1990, 3, 7))


def put_id(client, **body):
    data = {"service": "invoicing", "id_type": "prc_resident_id", "id_number": ADULT_ID,
            "consent": True, **body}
    return client.put(f"{BASE}/id", json.dumps(data), content_type="application/json")


def test_id_is_saved_with_a_separate_consent_and_shown_masked(account, client_for):
    assert decide(account.subject_id, "payment.invoicing", ["user.id_info"]).allowed is False
    response = put_id(client_for(account))
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": True, "guardian_required": False}
    event = ConsentEvent.objects.get(subject=account.subject, purpose="payment.invoicing")
    assert event.scope == "separate.sensitive" and event.choice == "grant"
    assert "ID" in event.notice.text
    assert decide(account.subject_id, "payment.invoicing", ["user.id_info"]).allowed
    me = client_for(account).get(f"{BASE}/me").json()
    assert me["id_number"] == ADULT_ID[:4] + "*" * 10 + ADULT_ID[-4:]
    assert me["id_type"] == "prc_resident_id"
    revealed = client_for(account).post(f"{BASE}/reveal", {"field": "id_info"},
                                        content_type="application/json").json()
    assert revealed["value"] == ADULT_ID


def test_a_real_number_with_a_retired_region_code_is_accepted(account, client_for):
    """``ric.is_valid`` rejects it (region code not assigned that year); the checksum passes."""
    number = resident_id(datetime.date(1960, 1, 1), region="110112")  # Tongzhou, 1997-
    assert not ric.is_valid(number)
    assert put_id(client_for(account), id_number=number).status_code == 200


@pytest.mark.parametrize("body, code", [
    ({"id_number": ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1")},
     "ID_CHECKSUM_INVALID"),
    ({"id_number": "12345"}, "ID_NUMBER_INVALID"),
    ({"id_number": resident_id(datetime.date(2090, 1, 1))}, "ID_BIRTH_DATE_INVALID"),
    ({"id_number": "110105" + "19901345" + "123" + "0"}, "ID_CHECKSUM_INVALID"),
    ({"id_type": "library_card"}, "ID_TYPE_INVALID"),
    ({"id_type": "passport", "id_number": "E1"}, "ID_NUMBER_INVALID"),
    ({"consent": False}, "SEPARATE_CONSENT_REQUIRED"),
    ({"service": "newsletter"}, "SERVICE_DOES_NOT_NEED_ID"),
    ({"service": "nope"}, "SERVICE_DOES_NOT_NEED_ID"),
])
def test_bad_id_input_is_refused_and_nothing_is_stored(account, client_for, body, code):
    response = put_id(client_for(account), **body)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert vault.masked(account.subject, "id_number") is None
    assert not ConsentEvent.objects.filter(subject=account.subject).exists()


def test_invalid_birth_date_with_a_right_check_digit():
    body = "110105" + "19901345" + "123"
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(AccountError) as caught:
        services.validators.id_number("prc_resident_id", number)
    assert caught.value.code == "ID_BIRTH_DATE_INVALID"


def test_id_needs_a_fresh_identity_check(account, client_for):
    from .test_api import expire_reauth

    client = client_for(account)
    expire_reauth(client)
    assert put_id(client).json()["error"]["code"] == "REAUTH_REQUIRED"


def test_id_is_immutable_once_saved(account, client_for):
    client = client_for(account)
    put_id(client)
    other = resident_id(datetime.date(1985, 5, 5))
    response = put_id(client, id_number=other)
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "FIELD_IMMUTABLE"
    assert error["detail"]["correction_request"]
    assert vault.reveal(actor=services.actor_of(account), subject=account.subject,
                        field="id_number", purpose="payment.invoicing") == ADULT_ID


def test_operator_can_mark_other_fields_immutable(account, client_for, settings):
    settings.PIWARDEN_IMMUTABLE_FIELDS = ["name", "phone"]
    client = client_for(account)
    assert client.put(f"{BASE}/profile/name", {"value": "Ann"},
                      content_type="application/json").status_code == 200
    response = client.put(f"{BASE}/profile/name", {"value": "Anna"},
                          content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "FIELD_IMMUTABLE"
    response = client.post(f"{BASE}/codes/send", {"channel": "phone",
                                                  "new_value": "+8613900000001"},
                           content_type="application/json")
    assert response.json()["error"]["code"] == "FIELD_IMMUTABLE"


def _child_id():
    today = timezone.localdate()
    return resident_id(today.replace(year=today.year - 10) - datetime.timedelta(days=3))


def test_a_child_needs_the_guardian_and_nothing_is_stored_before(
        account, client_for, inbox, django_capture_on_commit_callbacks):
    child_id = _child_id()
    client = client_for(account)
    response = put_id(client, id_number=child_id)
    assert (response.status_code, response.json()["error"]["code"]) == (422,
                                                                        "GUARDIAN_REQUIRED")
    response = put_id(client, id_number=child_id, guardian_email=account.test_email)
    assert response.json()["error"]["code"] == "GUARDIAN_REQUIRED"  # not the child's own
    with django_capture_on_commit_callbacks(execute=True):
        response = put_id(client, id_number=child_id, guardian_email="mum@example.cn")
    assert response.status_code == 202
    assert response.json() == {"stored": False, "guardian_required": True}
    assert vault.masked(account.subject, "id_number") is None
    assert not ConsentEvent.objects.filter(subject=account.subject).exists()
    request = GuardianRequest.objects.get(account=account)
    assert child_id not in request.id_digest
    mail = [m for m in inbox.messages if "mum@example.cn" in m["to"]][-1]["text"]
    token = mail.split("/account/guardian/")[1].split("/")[0]

    anonymous = Client()
    confirm = {"token": token, "id_number": ADULT_ID, "consent": True}
    response = anonymous.post(f"{BASE}/guardian/confirm", confirm,
                              content_type="application/json")
    assert response.json()["error"]["code"] == "ID_MISMATCH"
    response = anonymous.post(f"{BASE}/guardian/confirm", {**confirm, "id_number": child_id,
                                                           "consent": False},
                              content_type="application/json")
    assert response.json()["error"]["code"] == "SEPARATE_CONSENT_REQUIRED"
    assert vault.masked(account.subject, "id_number") is None
    response = anonymous.post(f"{BASE}/guardian/confirm", {**confirm, "id_number": child_id},
                              content_type="application/json")
    assert response.status_code == 200, response.content
    event = ConsentEvent.objects.get(subject=account.subject)
    assert event.scope == "separate.sensitive" and event.actor_id.startswith("guardian:")
    assert vault.masked(account.subject, "id_number") is not None
    response = anonymous.post(f"{BASE}/guardian/confirm", {**confirm, "id_number": child_id},
                              content_type="application/json")
    assert response.status_code == 410
    history = client.get(f"{BASE}/history").json()
    assert history[0] == {**history[0], "field": "id_info", "channel": "guardian"}


def test_guardian_attempts_are_limited(account, client_for):
    child_id = _child_id()
    put_id(client_for(account), id_number=child_id, guardian_email="dad@example.cn")
    request = GuardianRequest.objects.get(account=account)
    request.attempts = 5
    request.save()
    # the e-mailed token is not captured here: give the request a known one
    request.token_digest = hashlib.sha256(b"p.t").hexdigest()
    request.token_prefix = "p"
    request.save()
    with pytest.raises(AccountError) as caught:
        services.confirm_guardian(token="p.t", id_number=child_id, consent_given=True)
    assert caught.value.code == "ID_MISMATCH"
    assert vault.masked(account.subject, "id_number") is None


def test_after_withdrawal_the_id_can_no_longer_be_revealed(account, client_for):
    from piwarden.consent import services as consent

    client = client_for(account)
    put_id(client)
    consent.withdraw(actor=services.actor_of(account), subject=account.subject,
                     purpose="payment.invoicing", scope="separate.sensitive",
                     notice_text="withdrawn in a test", channel="web")
    response = client.post(f"{BASE}/reveal", {"field": "id_info"},
                           content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "REVEAL_REFUSED")
    page = client.get("/account/reveal/id_info/")
    assert page.status_code == 403 and ADULT_ID not in page.content.decode()


def test_guardian_e_mails_are_rate_limited(account, client_for):
    client = client_for(account)
    for _round in range(5):
        assert put_id(client, id_number=_child_id(),
                      guardian_email="aunt@example.cn").status_code == 202
    response = put_id(client, id_number=_child_id(), guardian_email="aunt@example.cn")
    assert (response.status_code, response.json()["error"]["code"]) == (429, "RATE_LIMITED")


def test_when_the_withdrawal_erasure_runs_the_id_is_gone_and_can_be_given_again(
        account, client_for, system_actor):
    """Art. 47: the ID number and its type go; the person can later enter an ID again."""
    from piwarden.consent import erasure
    from piwarden.consent import services as consent
    from piwarden.consent.models import ScheduledErasure

    client = client_for(account)
    put_id(client)
    consent.withdraw(actor=services.actor_of(account), subject=account.subject,
                     purpose="payment.invoicing", scope="separate.sensitive",
                     notice_text="withdrawn in a test", channel="web")
    scheduled = ScheduledErasure.objects.get(subject=account.subject)
    ScheduledErasure.objects.filter(pk=scheduled.pk).update(due_at=scheduled.withdrawal.occurred_at)
    assert erasure.run_due(actor=system_actor) == 1
    account.refresh_from_db()
    assert account.id_type == "" and vault.masked(account.subject, "id_number") is None
    assert not services.has_value(account, "id_info")
