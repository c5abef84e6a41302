"""The end of a processor's entrustment contract (S-4.1.1e): from the next day its API keys
answer 401 and its campaign staff cannot log in, whether or not the daily job has run; the
daily job suspends it, revokes the keys and opens the deletion-certificate request, which is
tracked to its due date like every forwarded deletion."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.campaigns import services as campaigns
from piwarden.campaigns.models import Campaign
from piwarden.clients import services as clients
from piwarden.clients.models import ApiClient
from piwarden.partners import services as partners
from piwarden.sharing import propagation, selectors, services
from piwarden.sharing.models import (
    Counterparty,
    DeletionRequest,
    ForwardReason,
    ForwardStatus,
    Status,
)

pytestmark = pytest.mark.django_db

PROCESSORS = ("sharing.processors", "partner.business")
PARTNER_RECORD = "/api/v1/partners/records/nope"


def confirm_url(request) -> str:
    return f"/api/v1/sharing/deletions/{request.pk}/confirm"


def days_later(days: int):
    """Run the enclosed code ``days`` days from now (the clock every check reads)."""
    return mock.patch("django.utils.timezone.now",
                      return_value=timezone.now() + timedelta(days=days))


def key_of(system_actor, counterparty, *scopes) -> Client:
    api_client, key = clients.create_client(actor=system_actor, name=f"key-{uuid.uuid4()}",
                                            scopes=list(scopes))
    partners.link_client(actor=system_actor, client=api_client, counterparty=counterparty)
    http = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    http.api_client = api_client
    return http


def staff_login(system_actor, recipient):
    """A partner's campaign staff login (a campaign the recipient staffs, running a month)."""
    today = timezone.localdate()
    campaign = campaigns.save_campaign(actor=system_actor, campaign=Campaign(
        name="Trade fair", starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=30), partner=recipient))
    return campaigns.grant_partner_access(actor=system_actor, campaign=campaign,
                                          username=f"staff-{uuid.uuid4().hex[:8]}",
                                          password="violet-harbour-tram-42")


def test_s_4_1_1e_processor_credentials_answer_401_after_contract_end(
        activate, system_actor, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    activate(*PROCESSORS, ends_on=today)
    counterparty = Counterparty.objects.get(recipient="partner.business")
    http = key_of(system_actor, counterparty, "sharing:confirm", "partners:import")
    access = staff_login(system_actor, "partner.business")

    # The contract's last day: the key confirms a deletion; it is no partner's import key.
    earlier = DeletionRequest.objects.create(recipient="partner.business", reference="r1",
                                             reason=ForwardReason.DELETION,
                                             due_at=timezone.now() + timedelta(days=15))
    assert http.post(confirm_url(earlier), {}, content_type="application/json").json()[
        "status"] == "confirmed"
    assert http.get(PARTNER_RECORD).status_code == 403
    assert access.is_valid() and not selectors.credentials_ended("partner.business")

    # The day after, before any job has run: 401, and the staff login no longer opens.
    with days_later(1):
        assert http.post(confirm_url(earlier), {},
                         content_type="application/json").status_code == 401
        assert http.get(PARTNER_RECORD).status_code == 401
        assert not access.is_valid()
    assert not access.is_valid(today + timedelta(days=1))
    assert ApiClient.objects.get(pk=http.api_client.pk).is_active  # not revoked yet

    # The daily job: suspended, keys and logins revoked, the deletion-certificate task opens.
    assert propagation.end_contracts(actor=system_actor, today=today) == []
    with days_later(1), django_capture_on_commit_callbacks(execute=True):
        assert propagation.daily(actor=system_actor) == {
            "forwarded": 0, "contracts_ended": 1, "overdue": 0}
        assert propagation.end_contracts(actor=system_actor) == []  # once per contract end
    counterparty.refresh_from_db()
    assert counterparty.status == Status.SUSPENDED
    assert today.isoformat() in counterparty.status_reason
    revoked = ApiClient.objects.get(pk=http.api_client.pk)
    assert not revoked.is_active and revoked.revoked_at is not None
    access.refresh_from_db()
    assert access.revoked_at is not None
    task = DeletionRequest.objects.get(reason=ForwardReason.CONTRACT_END)
    assert (task.recipient, task.reason, task.subject, task.status) == (
        "partner.business", ForwardReason.CONTRACT_END, None, ForwardStatus.ASKED)
    assert task.due_at - task.asked_at == timedelta(days=propagation.confirm_days())
    forwarded = AuditEvent.objects.get(action="sharing.deletion_forwarded")
    assert forwarded.detail["by"] == "staff"  # its hosts are closed: forwarded by hand
    assert AuditEvent.objects.filter(action="sharing.counterparty_suspended").exists()
    assert http.post(confirm_url(task), {}, content_type="application/json").status_code == 401

    # Overdue-tracked like every forwarded deletion.
    with django_capture_on_commit_callbacks(execute=True):
        assert propagation.mark_overdue(actor=system_actor,
                                        now=task.due_at + timedelta(seconds=1)) == 1
    task.refresh_from_db()
    assert task.status == ForwardStatus.OVERDUE
    alert = Alert.objects.get(kind="sharing.deletion_overdue")
    assert alert.detail["reasons"] == ["contract_end"]
    assert alert.objects_concerned == [f"sharing.deletionrequest:{task.pk}"]


def test_a_renewed_contract_keeps_the_credentials(activate, system_actor):
    """A later entrustment in force the day after: nothing ends."""
    today = timezone.localdate()
    activate(*PROCESSORS, ends_on=today)
    counterparty = Counterparty.objects.get(recipient="partner.business")
    http = key_of(system_actor, counterparty, "sharing:confirm")
    services.add_contract(
        actor=system_actor, counterparty=counterparty, kind="entrustment", reference="DPA-2",
        signed_on=today, starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=366), purpose="Deliver messages", method="API",
        categories=["user.contact"], protection_measures="TLS",
        return_or_deletion="Delete within 15 days of the end")
    earlier = DeletionRequest.objects.create(recipient="partner.business", reference="r1",
                                             reason=ForwardReason.DELETION,
                                             due_at=timezone.now() + timedelta(days=15))
    with days_later(1):
        assert http.post(confirm_url(earlier), {}, content_type="application/json").json()[
            "status"] == "confirmed"
        assert propagation.end_contracts(actor=system_actor) == []
    assert not DeletionRequest.objects.filter(reason=ForwardReason.CONTRACT_END).exists()


def test_a_terminated_contract_ends_on_its_termination_day(activate, system_actor):
    today = timezone.localdate()
    activate(*PROCESSORS)
    counterparty = Counterparty.objects.get(recipient="partner.business")
    counterparty.contracts.filter(kind="entrustment").update(terminated_on=today)
    assert selectors.credentials_ended("partner.business", today)
    assert not selectors.credentials_ended("partner.business", today - timedelta(days=1))


def test_a_suspended_partner_key_answers_401(named_catalog, system_actor):
    """A partner that sends PI (an independent handler) is a counterparty too: its import
    key stops working when the registry suspends it."""
    partner = partners.create_partner(actor=system_actor, recipient="partner.data_source",
                                      name="Data Source Co.")
    http = key_of(system_actor, partner.counterparty, "partners:import")
    assert partners.partner_of(http.api_client) == partner
    assert http.get(PARTNER_RECORD).status_code == 404
    services.change_counterparty_status(actor=system_actor, counterparty=partner.counterparty,
                                        status=Status.SUSPENDED, reason="Audit finding 12")
    assert http.get(PARTNER_RECORD).status_code == 401
    assert propagation.end_contracts(actor=system_actor) == []  # no contract: nothing opens
