"""Just-in-time unmasking of sensitive PI in the console (D-1.3, V-5.1b)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import reverse

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import services as consent
from piwarden.staffreads import services
from piwarden.staffreads.models import UnmaskRequest, UnmaskStatus
from piwarden.vault import services as vault
from piwarden.vault.models import VaultValue
from tests.roles.factories import enrol
from tests.staffreads.helpers import give_role

pytestmark = pytest.mark.django_db
ID_NUMBER = "11010119900307002X"
PURPOSE = "payment.invoicing"
REASON = "invoice dispute 42: confirm the ID holder"


def _staff(name: str, *roles: str) -> Client:
    user = get_user_model().objects.create_user(name, password="a long staff password",
                                                is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_vaultvalue", "reveal_vaultvalue"]))
    for role in roles:
        give_role(user, role)
    if roles:
        enrol(user)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def row(person):
    """An ID number (sensitive, second approver) the person agreed to for invoicing."""
    for scope in ("separate.sensitive",):
        consent.grant(actor=Actor.person(person), subject=person, purpose=PURPOSE, scope=scope,
                      notice_text="We need your ID for invoices.", channel="web")
    with transaction.atomic():
        vault.put(actor=Actor.system("t"), subject=person, field="payments_id_number",
                  value=ID_NUMBER, purpose=PURPOSE)
    return VaultValue.objects.get(subject=person, field="payments_id_number")


@pytest.fixture
def requester(settings):
    """A superuser holds every purpose and role; the second approver must still be another."""
    client = _staff("agent")
    client.user.is_superuser = True
    client.user.save(update_fields=["is_superuser"])
    enrol(client.user)
    return client


def _url(row):
    return reverse("admin:vault_vaultvalue_reveal", args=[row.pk])


def _request(client, row):
    return client.post(_url(row), {"step": "request", "purpose": PURPOSE, "reason": REASON})


def _reveal(client, row):
    return client.post(_url(row), {"step": "reveal"})


def test_d_1_3_sensitive_unmask_needs_second_approver(row, requester):
    """Requested with a reason, it waits; the requester cannot approve it; a privacy officer
    can, and only then does the reveal show the value (audited through the vault)."""
    assert ID_NUMBER not in _request(requester, row).text
    unmask = UnmaskRequest.objects.get()
    assert (unmask.status, unmask.needs_second_approver) == (UnmaskStatus.PENDING, True)
    assert ID_NUMBER not in _reveal(requester, row).text
    assert not AuditEvent.objects.filter(action="vault.value_revealed").exists()
    asked = AuditEvent.objects.get(action="staff.unmask_requested")
    assert asked.detail["reason"] == REASON and asked.subject_id == row.subject_id

    with pytest.raises(services.ReadRefused) as own:
        services.decide_unmask(user=requester.user, unmask=unmask, approve=True)
    assert own.value.code == services.SELF_APPROVAL
    clerk = _staff("clerk")
    with pytest.raises(services.ReadRefused) as clerk_refused:
        services.decide_unmask(user=clerk.user, unmask=unmask, approve=True)
    assert clerk_refused.value.code == services.NOT_PRIVACY_OFFICER
    assert AuditEvent.objects.filter(action="staff.unmask_decision_refused").count() == 2

    officer = _staff("officer", "privacy_officer")
    officer.post(reverse("admin:staffreads_unmaskrequest_changelist"),
                 {"action": "approve", "_selected_action": [unmask.pk]})
    unmask.refresh_from_db()
    assert (unmask.status, unmask.approver) == (UnmaskStatus.APPROVED, officer.user)
    page = _reveal(requester, row)
    assert ID_NUMBER in page.text
    revealed = AuditEvent.objects.get(action="vault.value_revealed")
    assert revealed.purpose == PURPOSE and f"#{unmask.pk}" in revealed.detail["reason"]


def test_d_1_3_the_window_expires(row, requester, settings):
    settings.PIWARDEN_UNMASK_MINUTES = 15
    _request(requester, row)
    unmask = UnmaskRequest.objects.get()
    services.decide_unmask(user=_staff("officer", "privacy_officer").user, unmask=unmask,
                           approve=True)
    assert ID_NUMBER in _reveal(requester, row).text
    unmask.refresh_from_db()
    assert unmask.expires_at - unmask.decided_at == timedelta(minutes=15)
    UnmaskRequest.objects.filter(pk=unmask.pk).update(
        expires_at=unmask.decided_at - timedelta(seconds=1))
    assert ID_NUMBER not in _reveal(requester, row).text
    assert AuditEvent.objects.filter(action="vault.value_revealed").count() == 1


def test_d_1_3_unmasking_needs_a_role_that_unmasks(row):
    """A staff member with the reveal permission but no unmasking role is refused."""
    auditor = _staff("auditor", "auditor")
    response = _request(auditor, row)
    assert response.status_code == 200 and ID_NUMBER not in response.text
    assert not UnmaskRequest.objects.exists()
    refused = AuditEvent.objects.get(action="staff.unmask_refused")
    assert refused.detail["refusal"] == services.NO_UNMASK_ROLE


def test_d_1_3_a_denied_request_reveals_nothing(row, requester):
    _request(requester, row)
    unmask = UnmaskRequest.objects.get()
    services.decide_unmask(user=_staff("officer", "privacy_officer").user, unmask=unmask,
                           approve=False)
    assert ID_NUMBER not in _reveal(requester, row).text
    assert AuditEvent.objects.filter(action="staff.unmask_denied").exists()


def test_non_sensitive_values_keep_the_reason_based_reveal(person):
    """An e-mail address (personal, not sensitive) is revealed with a reason, no request."""
    with transaction.atomic():
        vault.put(actor=Actor.system("t"), subject=person, field="email",
                  value="li.lei@example.com", purpose="account.registration")
    row = VaultValue.objects.get(subject=person, field="email")
    client = _staff("support", "support")
    response = client.post(_url(row), {"purpose": "account.registration", "reason": REASON})
    assert "li.lei@example.com" in response.text
    assert not UnmaskRequest.objects.exists()
