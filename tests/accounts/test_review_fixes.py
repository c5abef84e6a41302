"""Defects found in review: each test failed before its fix.

Sessions renewed by a password change, the lock-out key of reformatted phone numbers,
sign-ups with another person's phone or e-mail, enumeration through codes/send, the TOTP
secret's mask, and the guardian confirmation's immutability and closing rules.
"""

import datetime
import hashlib
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import (
    Account,
    AccountSession,
    GuardianRequest,
    GuardianStatus,
    ThrottleEvent,
)
from piwarden.audit.models import AuditEvent
from piwarden.subjects.models import Subject, SubjectStatus
from piwarden.vault import services as vault

from .conftest import PASSWORD, new_identity
from .test_api import call, error_code
from .test_id_info import ADULT_ID, _child_id, put_id, resident_id

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "cobalt-meadow-lantern-9"
OTHER_PASSWORD = "amber-kettle-orchard"


def _log_in(identifier, password=PASSWORD) -> Client:
    client = Client()
    response = call(client, "post", "/login", {"identifier": identifier, "password": password})
    assert response.status_code == 200, response.content
    return client


# --- 1. a session renewed by a password change still ends with "log out everywhere" -----

def test_api_session_renewed_by_a_password_change_ends_with_log_out_everywhere(account):
    first = _log_in(account.test_email)
    old_key = first.cookies["sessionid"].value
    response = call(first, "post", "/password",
                    {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    new_key = first.cookies["sessionid"].value
    assert new_key != old_key
    assert list(AccountSession.objects.filter(account=account)
                .values_list("session_key", flat=True)) == [new_key]
    assert call(first, "get", "/me").status_code == 200
    other = _log_in(account.test_phone, NEW_PASSWORD)
    assert call(other, "post", "/logout-all").status_code == 200
    assert call(first, "get", "/me").status_code == 401


def test_page_session_renewed_by_a_password_change_ends_with_log_out_everywhere(account):
    first = _log_in(account.test_email)
    response = first.post("/account/password/", {"current_password": PASSWORD,
                                                  "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert first.get("/account/").status_code == 200
    other = _log_in(account.test_email, NEW_PASSWORD)
    assert other.post("/account/logout-all/").status_code == 302
    assert first.get("/account/").status_code == 302  # back to the login page


# --- 2. the lock-out counts a phone number however it is written ------------------------

def test_reformatting_the_phone_number_does_not_bypass_the_lock_out(account):
    national = account.test_phone[3:]
    formats = [national, f"+86 {national}", f"{national[:3]}-{national[3:7]}-{national[7:]}",
               f"0086{national}", f"(+86){national}"]
    for number, identifier in enumerate(formats):
        with pytest.raises(AccountError) as caught:
            services.log_in(identifier=identifier, password="wrong-password-1",
                            ip=f"10.2.0.{number}")
        assert caught.value.code == "INVALID_CREDENTIALS"
    with pytest.raises(AccountError) as caught:
        services.log_in(identifier=account.test_phone, password=PASSWORD, ip="10.2.1.1")
    assert caught.value.code == "LOCKED_OUT"
    # e-mail in other letter cases, and text that is neither, share one key each too
    for identifier in ("Nobody@Example.CN", " nobody@example.cn"):
        for _attempt in range(3):
            with pytest.raises(AccountError):
                services.log_in(identifier=identifier, password="x", ip="10.2.2.2")
    with pytest.raises(AccountError) as caught:
        services.log_in(identifier="NOBODY@example.cn", password="x", ip="10.2.2.3")
    assert caught.value.code == "LOCKED_OUT"
    for identifier in ("not a  number", " Not a number", "NOT A NUMBER"):
        for _attempt in range(2):
            with pytest.raises(AccountError):
                services.log_in(identifier=identifier, password="x", ip="10.2.3.3")
    with pytest.raises(AccountError) as caught:
        services.log_in(identifier="not a number", password="x", ip="10.2.3.4")
    assert caught.value.code == "LOCKED_OUT"


# --- 3. someone else's phone or e-mail, unverified, does not lock its owner out ----------

def _sign_up(phone, email, password, ip, capture):
    with capture(execute=True):
        return services.sign_up(phone=phone, email=email, password=password, ip=ip)


def test_an_unverified_sign_up_does_not_lock_the_owner_out(
        sms, inbox, django_capture_on_commit_callbacks):
    phone, email = new_identity()
    _other_phone, squatter_email = new_identity()
    squatter = _sign_up(phone, squatter_email, OTHER_PASSWORD, "198.51.100.1",
                        django_capture_on_commit_callbacks)
    squatter_code = sms.code_for(phone)
    owner = _sign_up(phone, email, PASSWORD, "192.0.2.7", django_capture_on_commit_callbacks)
    services.verify_contact(account=owner, channel="phone", code=sms.code_for(phone))
    # login by the shared number finds the verified holder, in any format
    assert services.log_in(identifier=phone[3:], password=PASSWORD) == owner
    assert call(_log_in(phone), "get", "/me").status_code == 200
    # the squatter's code for the same number now meets a value verified elsewhere
    with pytest.raises(AccountError) as caught:
        services.verify_contact(account=squatter, channel="phone", code=squatter_code)
    assert (caught.value.code, caught.value.status) == ("CONTACT_TAKEN", 409)
    squatter.refresh_from_db()
    assert squatter.phone_verified_at is None
    # a verified value still refuses a new sign-up
    with pytest.raises(AccountError) as caught:
        services.sign_up(phone=phone, email=new_identity()[1], password=PASSWORD, ip="192.0.2.8")
    assert caught.value.code == "ALREADY_REGISTERED"


def test_a_contact_held_only_by_an_unverified_account_can_be_changed_to(
        make_account, client_for, sms, django_capture_on_commit_callbacks):
    squatter = make_account(bind=False)
    alice = make_account()
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", "/codes/send",
                        {"channel": "phone", "new_value": squatter.test_phone})
    assert response.status_code == 202
    response = call(client, "post", "/contact/phone",
                    {"new_value": squatter.test_phone, "code": sms.code_for(squatter.test_phone)})
    assert response.status_code == 200, response.content
    assert services.log_in(identifier=squatter.test_phone, password=PASSWORD) == alice


def test_purge_deletes_accounts_left_unverified_for_a_day(make_account, client_for):
    stale, half, fresh = make_account(bind=False), make_account(bind=False), \
        make_account(bind=False)
    bound = make_account()
    half.phone_verified_at = timezone.now()
    half.save(update_fields=["phone_verified_at"])
    old = timezone.now() - datetime.timedelta(hours=25)
    Account.objects.filter(pk__in=[stale.pk, half.pk, bound.pk]).update(created_at=old)
    stale_client = client_for(stale)
    out = io.StringIO()
    call_command("accounts_purge", stdout=out)
    assert "unverified_accounts=1" in out.getvalue()
    assert set(Account.objects.filter(pk__in=[stale.pk, half.pk, fresh.pk, bound.pk])
               .values_list("pk", flat=True)) == {half.pk, fresh.pk, bound.pk}
    assert not get_user_model().objects.filter(pk=stale.user_id).exists()
    assert vault.find_subject_ids("phone", stale.test_phone) == []
    assert vault.find_subject_ids("email", stale.test_email) == []
    assert Subject.objects.get(pk=stale.subject_id).status == SubjectStatus.ERASED
    assert call(stale_client, "get", "/me").status_code == 401
    event = AuditEvent.objects.get(action="account.unverified_deleted")
    assert event.subject_id == stale.subject_id
    assert stale.test_phone not in json.dumps(event.detail)
    assert stale.test_email not in json.dumps(event.detail)
    assert AuditEvent.objects.filter(action="vault.subject_shredded",
                                     subject_id=stale.subject_id).exists()


# --- 4. codes/send does not tell which values are registered ------------------------------

def test_sending_a_code_to_a_registered_value_answers_the_same_and_sends_nothing(
        make_account, client_for, sms, django_capture_on_commit_callbacks):
    alice, bob = make_account(), make_account()
    free_phone, _email = new_identity()
    client = client_for(alice)
    sent_to_bob = len([line for line in sms.lines() if line["to"] == bob.test_phone])
    events = ThrottleEvent.objects.count()
    answers = []
    for phone in (free_phone, bob.test_phone):
        with django_capture_on_commit_callbacks(execute=True):
            first = call(client, "post", "/codes/send", {"channel": "phone", "new_value": phone})
            again = call(client, "post", "/codes/send", {"channel": "phone", "new_value": phone})
        answers.append((first.status_code, first.json(), again.status_code,
                        error_code(again)))
    assert answers[0] == answers[1] == (202, {"ok": True}, 429, "RATE_LIMITED")
    assert ThrottleEvent.objects.count() == events + 4  # target and IP, for both values
    assert len([line for line in sms.lines() if line["to"] == bob.test_phone]) == sent_to_bob
    # nobody has the code: using one fails like any wrong code, and the value stays Bob's
    response = call(client, "post", "/contact/phone",
                    {"new_value": bob.test_phone, "code": "123456"})
    assert (response.status_code, error_code(response)) == (422, "CODE_INVALID")
    assert vault.find_subject_ids("phone", bob.test_phone) == [bob.subject_id]


def test_a_value_verified_elsewhere_after_its_code_was_sent_is_refused_at_use(
        make_account, client_for, sms, django_capture_on_commit_callbacks):
    alice, bob = make_account(), make_account()
    phone, _email = new_identity()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_code(account=alice, channel="phone", new_value=phone, ip="10.3.0.1")
    alice_code = sms.code_for(phone)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_code(account=bob, channel="phone", new_value=phone, ip="10.3.0.2")
    services.change_contact(account=bob, channel="phone", new_value=phone,
                            code=sms.code_for(phone))
    response = call(client_for(alice), "post", "/contact/phone",
                    {"new_value": phone, "code": alice_code})
    assert (response.status_code, error_code(response)) == (409, "CONTACT_TAKEN")
    assert vault.find_subject_ids("phone", phone) == [bob.subject_id]


# --- 5. the TOTP secret's mask shows nothing of it ---------------------------------------

def test_the_totp_secret_is_masked_without_any_character(account):
    with transaction.atomic():
        secret = services.start_totp(account=account)
    mask = vault.masked(account.subject, "totp_secret")
    assert mask == "••••••" and secret[0] not in mask


# --- 6. the guardian's confirmation: immutability, and the other requests close ----------

def _known_token(request: GuardianRequest, prefix: str) -> str:
    request.token_prefix = prefix
    request.token_digest = hashlib.sha256(f"{prefix}.t".encode()).hexdigest()
    request.save(update_fields=["token_prefix", "token_digest"])
    return f"{prefix}.t"


def test_a_confirmed_guardian_request_closes_the_other_pending_ones(account, client_for):
    client = client_for(account)
    today = timezone.localdate()
    born = today.replace(year=today.year - 10) - datetime.timedelta(days=3)
    first_id, second_id = resident_id(born, seq="123"), resident_id(born, seq="456")
    assert put_id(client, id_number=first_id, guardian_email="mum@example.cn").status_code == 202
    assert put_id(client, id_number=second_id,
                  guardian_email="dad@example.cn").status_code == 202
    first, second = GuardianRequest.objects.filter(account=account).order_by("pk")
    first_token, second_token = _known_token(first, "g1"), _known_token(second, "g2")
    services.confirm_guardian(token=first_token, id_number=first_id, consent_given=True)
    second.refresh_from_db()
    assert second.status == GuardianStatus.CANCELLED and second.decided_at is not None
    with pytest.raises(AccountError) as caught:
        services.confirm_guardian(token=second_token, id_number=second_id, consent_given=True)
    assert (caught.value.code, caught.value.status) == ("GUARDIAN_REQUEST_CLOSED", 410)
    first.refresh_from_db()
    assert first.status == GuardianStatus.CONFIRMED


def test_a_guardian_cannot_overwrite_an_immutable_id(account, client_for):
    assert put_id(client_for(account)).status_code == 200
    stored = vault.masked(account.subject, "id_number")
    child_id = _child_id()
    with transaction.atomic():
        request = services._open_guardian_request(account, "invoicing", "prc_resident_id",
                                                  child_id, "mum@example.cn")
    token = _known_token(request, "g3")
    with pytest.raises(AccountError) as caught:
        services.confirm_guardian(token=token, id_number=child_id, consent_given=True)
    assert (caught.value.code, caught.value.status) == ("FIELD_IMMUTABLE", 409)
    assert "correction_request" in caught.value.detail
    assert vault.masked(account.subject, "id_number") == stored
    assert ADULT_ID[-4:] in stored
