"""Writing transfer records: checks, audit, reminders before expiry (X-7.2)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.sharing import services as sharing
from piwarden.sharing.models import Flow
from piwarden.transfers import services
from piwarden.transfers.models import TransferRecord
from tests.transfers.test_guard import STORAGE, contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_flow(registry_synced):
    return Flow.objects.get(activity=STORAGE[0], recipient=STORAGE[1])


def test_x_7_2_a_record_is_made_only_for_an_overseas_flow(registry_synced, system_actor):
    domestic = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    with pytest.raises(services.TransferError) as refused:
        services.create_record(actor=system_actor, flow=domestic, **contract())
    assert refused.value.code == "NOT_CROSS_BORDER"


def test_x_7_2_a_record_covers_only_the_flows_categories(storage_flow, system_actor):
    with pytest.raises(services.TransferError) as refused:
        services.create_record(actor=system_actor, flow=storage_flow,
                               **contract(categories=["user.id_info"]))
    assert refused.value.code == "CATEGORIES_OUTSIDE_FLOW"


def test_x_7_2_a_record_takes_the_recipients_country_and_is_audited(
        storage_flow, system_actor):
    record = services.create_record(actor=system_actor, flow=storage_flow, **contract())
    assert record.country == "SG"
    event = AuditEvent.objects.filter(action="transfers.record_created").get()
    assert event.detail["mechanism"] == "standard_contract"


def test_x_7_2_a_reminder_goes_out_once_before_expiry(storage_flow, system_actor,
                                                       django_capture_on_commit_callbacks):
    today = timezone.localdate()
    record = services.create_record(
        actor=system_actor, flow=storage_flow,
        **contract(mechanism="certification", reference="CERT-9",
                   valid_until=today + datetime.timedelta(days=30)))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.remind(actor=system_actor)
    alert = Alert.objects.get(kind="transfers.mechanism_expiring")
    assert alert.detail == {"record": record.pk, "date": str(record.valid_until),
                            "what": "mechanism expires"}


def test_x_7_2_a_suspended_record_blocks_the_transfer(activate, person_with, system_actor,
                                                      storage_flow):
    record = services.create_record(actor=system_actor, flow=storage_flow, **contract())
    services.record_filing(actor=system_actor, record=record, reference="SCC-1",
                           filed_on=timezone.localdate())
    flow = activate(*STORAGE)
    services.set_status(actor=system_actor, record=record, status="suspended",
                        reason="The recipient's audit failed.")
    person = person_with(name="王小明", email="wang@example.cn")
    with pytest.raises(sharing.SharingError) as refused:
        sharing.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert refused.value.code == "TRANSFER_SUSPENDED"
    with transaction.atomic():
        assert TransferRecord.objects.get().status == "suspended"


def test_x_7_2_a_filing_before_the_contracts_present_terms_does_not_count(
        storage_flow, system_actor):
    today = timezone.localdate()
    record = services.create_record(actor=system_actor, flow=storage_flow,
                                    **contract(effective_on=today))
    with pytest.raises(services.TransferError) as refused:
        services.record_filing(actor=system_actor, record=record, reference="SCC-1",
                               filed_on=datetime.date(1900, 1, 1))
    assert refused.value.code == "FILED_BEFORE_TERMS"


def test_x_7_2_an_empty_text_is_a_422_not_a_500(storage_flow, system_actor):
    record = services.create_record(actor=system_actor, flow=storage_flow, **contract())
    for field in ("notice_zh", "reference", "exemption_reason"):
        with pytest.raises(services.TransferError) as refused:
            services.update_record(actor=system_actor, record=record, **{field: None})
        assert (refused.value.code, refused.value.status) == ("VALUE_REQUIRED", 422)
