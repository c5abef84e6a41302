"""The staff console for transfers (X-7.2): records written through the services (a refusal
shows on the form), filing and suspension with their details, the year's counters against
the limits with their source, and held batches released."""

import datetime
import html

import pytest
from django.utils import timezone

from piwarden.audit.models import AuditEvent
from piwarden.sharing.models import Flow
from piwarden.transfers.models import Hold, TransferRecord, YearCounter
from tests.staff import staff_client

from .conftest import NOTICE, STORAGE_FLOW

pytestmark = pytest.mark.django_db
ADMIN = "/admin/transfers"
ALL = ("view_transferrecord", "add_transferrecord", "change_transferrecord",
       "view_yearcounter", "view_hold", "change_hold")


def _form(**overrides):
    today = timezone.localdate()
    return {"categories": "user.name, user.contact", "important_data": "none",
            "mechanism": "standard_contract", "exemption_reason": "", "reference": "SC-9",
            "effective_on": str(today - datetime.timedelta(days=2)),
            "valid_until": str(today + datetime.timedelta(days=300)),
            "recipient_obligations": "Delete on request.", **NOTICE, **overrides}


def _action(client, action, ids, **data):
    return client.post(f"{ADMIN}/transferrecord/", {
        "action": action, "_selected_action": [str(i) for i in ids], **data})


def test_x_7_2_console_adds_a_record_through_the_service_and_shows_what_blocks_it(
        registry_synced):
    staff = staff_client("transfers", *ALL)
    flow = Flow.objects.get(activity=STORAGE_FLOW[0], recipient=STORAGE_FLOW[1])
    form = staff.get(f"{ADMIN}/transferrecord/add/").content.decode()
    assert f'value="{flow.pk}"' in form  # only overseas flows are offered
    domestic = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    assert f'value="{domestic.pk}"' not in form
    refused = staff.post(f"{ADMIN}/transferrecord/add/", _form(
        flow=flow.pk, mechanism="exempt_contract"))
    assert refused.status_code == 200 and "Say why the exemption applies." in \
        refused.content.decode()
    added = staff.post(f"{ADMIN}/transferrecord/add/", _form(flow=flow.pk))
    assert added.status_code == 302, added.content.decode()[:3000]
    record = TransferRecord.objects.get()
    assert (record.country, record.categories) == ("SG", ["user.name", "user.contact"])
    assert record.updated_by == f"staff:{staff.user.pk}"
    assert AuditEvent.objects.filter(action="transfers.record_created").count() == 1
    listing = html.unescape(staff.get(f"{ADMIN}/transferrecord/").content.decode())
    assert "The standard contract is not filed" in listing
    assert "Singapore" in listing
    staff.cookies["django_language"] = "zh-hans"
    listing = html.unescape(staff.get(f"{ADMIN}/transferrecord/").content.decode())
    assert "标准合同尚未备案" in listing and "新加坡" in listing and "出境记录" in listing


def test_x_7_2_console_records_the_filing_and_suspends_with_a_reason(make_record, officer):
    from piwarden.transfers import services

    record = make_record(*STORAGE_FLOW, filed=False)
    staff = staff_client("transfers", *ALL)
    asked = _action(staff, "record_filing", [record.pk])
    assert asked.status_code == 200 and 'name="reference"' in asked.content.decode()
    done = _action(staff, "record_filing", [record.pk], apply="1", reference="SC-F-1",
                   filed_on=str(timezone.localdate()))
    assert done.status_code == 302
    record.refresh_from_db()
    assert (record.reference, record.filed_on) == ("SC-F-1", timezone.localdate())
    listing = html.unescape(staff.get(f"{ADMIN}/transferrecord/").content.decode())
    assert "None: transfers may pass" in listing
    empty = _action(staff, "suspend", [record.pk], apply="1", reason="")
    assert empty.status_code == 200  # the reason is asked again
    _action(staff, "suspend", [record.pk], apply="1", reason="The recipient was breached.")
    assert TransferRecord.objects.get().status == "suspended"
    assert AuditEvent.objects.filter(action="transfers.record_suspended").exists()
    services.set_status(actor=officer, record=TransferRecord.objects.get(), status="active",
                        reason="Fixed.")


def test_x_7_2_console_change_goes_through_the_service(make_record):
    record = make_record(*STORAGE_FLOW)
    staff = staff_client("transfers", *ALL)
    url = f"{ADMIN}/transferrecord/{record.pk}/change/"
    page = staff.get(url).content.decode()
    assert "SC-2026-001" in page
    refused = staff.post(url, _form(categories="user.id_info"))
    assert "within the flow&#x27;s allowlist" in refused.content.decode()
    changed = staff.post(url, _form(recipient_obligations="Delete within 10 days."))
    assert changed.status_code == 302
    record.refresh_from_db()
    assert record.changed_on == timezone.localdate()  # a changed contract is filed again
    assert AuditEvent.objects.filter(action="transfers.record_changed").exists()


def test_x_7_2_a_viewer_cannot_change_records(make_record):
    record = make_record(*STORAGE_FLOW)
    viewer = staff_client("transfers", "view_transferrecord", name="viewer")
    assert viewer.get(f"{ADMIN}/transferrecord/").status_code == 200
    assert viewer.get(f"{ADMIN}/transferrecord/add/").status_code == 403
    _action(viewer, "suspend", [record.pk], apply="1", reason="x")
    assert TransferRecord.objects.get().status == "active"


def test_x_7_2_counters_show_the_people_against_the_limits_in_chinese_too(registry_synced):
    from piwarden.transfers import guard

    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=1234)
    staff = staff_client("transfers", *ALL)
    page = html.unescape(staff.get(f"{ADMIN}/yearcounter/").content.decode())
    assert "1234" in page and "99999" in page and "2024-03-22" in page
    staff.cookies["django_language"] = "zh-hans"
    page = html.unescape(staff.get(f"{ADMIN}/yearcounter/").content.decode())
    assert "年度计数" in page and "非敏感个人信息" in page


def test_x_7_2_console_releases_a_held_batch(make_record, activate, person_with, system_actor,
                                            officer):
    from piwarden.sharing import services as sharing
    from piwarden.transfers import guard
    from piwarden.transfers import services as transfers

    record = make_record(*STORAGE_FLOW, mechanism="below_threshold", reference="",
                         effective_on=None, valid_until=None)
    flow = activate(*STORAGE_FLOW)
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=99_999)
    person = person_with(name="王小明", email="wang@example.cn")
    sharing.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    hold = Hold.objects.get()
    staff = staff_client("transfers", *ALL)
    listing = staff.get(f"{ADMIN}/hold/").content.decode()
    assert str(person.pk) not in listing  # counted, never listed
    record = transfers.update_record(actor=officer, record=record,
                                     mechanism="standard_contract", reference="SC-3",
                                     effective_on=timezone.localdate())
    transfers.record_filing(actor=officer, record=record, reference="SC-3",
                            filed_on=timezone.localdate())
    done = staff.post(f"{ADMIN}/hold/", {"action": "release",
                                         "_selected_action": [str(hold.pk)]}, follow=True)
    assert "1 people provided" in done.content.decode()
    assert Hold.objects.get().released_at is not None
