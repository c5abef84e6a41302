"""Every change is audited with categories and purposes, never with the PI values."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from piwarden.accounts import services
from piwarden.accounts.models import ThrottleEvent, VerificationCode
from piwarden.audit.models import AuditEvent

from .conftest import PASSWORD
from .test_avatar import jpeg_with_gps
from .test_id_info import ADULT_ID

pytestmark = pytest.mark.django_db


def test_every_change_leaves_an_audit_record_without_pi(account):
    start = AuditEvent.objects.order_by("-seq").first().seq
    address = {"province": "上海市", "city": "上海市", "street": "南京西路 99 号",
               "postcode": "200041"}
    steps = [
        ("account.profile_changed", lambda: services.set_field(
            account=account, field="name", value="Zhao Lei")),
        ("account.profile_changed", lambda: services.set_field(
            account=account, field="address", value=address)),
        ("account.profile_changed", lambda: services.set_field(
            account=account, field="user_name", value="zl")),
        ("account.profile_changed", lambda: services.set_avatar(
            account=account, data=jpeg_with_gps())),
        ("account.profile_changed", lambda: services.set_id_info(
            account=account, service="invoicing", id_type="prc_resident_id",
            id_number=ADULT_ID, consent_given=True)),
        ("account.profile_changed", lambda: services.change_password(
            account=account, current=PASSWORD, new="mellow-tiger-stone")),
        ("account.totp_setup_started", lambda: services.start_totp(account=account)),
        ("account.token_created", lambda: services.create_token(account=account, name="t")),
        ("account.service_activated", lambda: services.activate_service(
            account=account, service="newsletter")),
        ("account.sessions_ended", lambda: services.end_all_sessions(account=account)),
    ]
    for action, step in steps:
        before = AuditEvent.objects.filter(action=action, subject=account.subject).count()
        step()
        assert AuditEvent.objects.filter(action=action, subject=account.subject).count() == \
            before + 1, action
    records = AuditEvent.objects.filter(seq__gt=start)
    dump = json.dumps([[r.action, r.categories, r.purpose, r.detail] for r in records],
                      ensure_ascii=False)
    for value in (account.test_phone, account.test_email, "Zhao Lei", "南京西路", ADULT_ID,
                  "mellow-tiger-stone", PASSWORD):
        assert value not in dump
    changed = records.filter(action="account.profile_changed")
    assert {r.detail["field"] for r in changed} == {"name", "address", "user_name", "avatar",
                                                    "id_info", "password"}
    assert all(r.purpose and r.categories for r in changed)


def test_failed_logins_are_audited_as_denied(account):
    with pytest.raises(services.AccountError):
        services.log_in(identifier=account.test_email, password="wrong-wrong")
    event = AuditEvent.objects.filter(action="account.login_failed").latest("seq")
    assert event.outcome == "denied" and event.subject_id == account.subject_id
    assert account.test_email not in json.dumps(event.detail)


def test_purge_removes_stale_codes_and_events(make_account):
    account = make_account(bind=False)
    old = timezone.now() - datetime.timedelta(days=2)
    VerificationCode.objects.filter(account=account).update(created_at=old)
    ThrottleEvent.objects.update(created_at=old)
    out = io.StringIO()
    call_command("accounts_purge", stdout=out)
    assert "codes=2" in out.getvalue()
    assert not VerificationCode.objects.filter(account=account).exists()
    assert not ThrottleEvent.objects.exists()
    assert AuditEvent.objects.filter(action="account.stale_purged").exists()
