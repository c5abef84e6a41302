"""The notify API (staff sessions only), the staff console, and the person's export."""

import json

import pytest
from django.test import Client

from piwarden.notify import services, subject_data
from piwarden.notify.models import Campaign, CampaignStatus, Channel, Delivery
from tests.notify.conftest import FIELDS
from tests.staff import staff_client

pytestmark = pytest.mark.django_db
PERMISSIONS = ("add_campaign", "change_campaign", "view_campaign")


def body(people, **extra):
    return {"title": "API notice", "kind": "other", "template": "notify.general",
            "fields": FIELDS, "audience": "subjects.listed",
            "audience_params": {"subject_ids": [str(p.pk) for p in people]},
            "channels": ["email", "site"], **extra}


def test_p_14_1_staff_create_preview_start_and_follow_progress(
        make_person, immediate_tasks, django_capture_on_commit_callbacks):
    people = [make_person(email=False, phone=False) for _ in range(2)]
    client = staff_client("notify", *PERMISSIONS)
    created = client.post("/api/v1/notify/campaigns", body(people),
                          content_type="application/json")
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    preview = client.post(f"/api/v1/notify/campaigns/{campaign_id}/preview").json()
    assert preview["count"] == 2 and {s["channel"] for s in preview["sample"]} == {"site"}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/v1/notify/campaigns/{campaign_id}/start")
    assert started.status_code == 200
    progress = client.get(f"/api/v1/notify/campaigns/{campaign_id}/progress").json()
    assert progress["audience"] == 2 and progress["by_channel"] == {"site": 2}


def test_p_14_1_the_api_answers_refusals_as_4xx_codes(make_person, settings):
    settings.PIWARDEN_NOTIFY_APPROVAL_ABOVE = 0
    client = staff_client("notify", *PERMISSIONS)
    bad = client.post("/api/v1/notify/campaigns", body([make_person()], channels=["fax"]),
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "CHANNELS_INVALID"
    campaign_id = client.post("/api/v1/notify/campaigns", body([make_person()]),
                              content_type="application/json").json()["id"]
    refused = client.post(f"/api/v1/notify/campaigns/{campaign_id}/start")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "APPROVAL_REQUIRED"
    own = client.post(f"/api/v1/notify/campaigns/{campaign_id}/approve")
    assert own.status_code == 403 and own.json()["error"]["code"] == "APPROVER_IS_CREATOR"
    missing = client.get("/api/v1/notify/campaigns/not-a-uuid/progress")
    assert missing.status_code == 422


def test_p_14_1_the_api_is_for_staff_with_the_permission(make_person):
    anonymous = Client().post("/api/v1/notify/campaigns", body([make_person()]),
                              content_type="application/json")
    assert anonymous.status_code == 401
    reader = staff_client("notify", "view_campaign", name="reader")
    refused = reader.post("/api/v1/notify/campaigns", body([make_person()]),
                          content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_p_14_1_the_console_shows_progress_and_runs_actions(make_person, create, start):
    campaign = start(create([make_person(email=False, phone=False)], channels=("site",)))
    client = staff_client("notify", "view_campaign", "change_campaign", "view_delivery",
                          "change_delivery", "view_phonetask", "view_announcement")
    page = client.get(f"/admin/notify/campaign/{campaign.pk}/change/").content.decode()
    assert "<progress" in page and 'value="100"' in page
    assert client.get("/admin/notify/delivery/").status_code == 200
    assert client.get("/admin/notify/phonetask/").status_code == 200
    draft = create([make_person()])
    response = client.post("/admin/notify/campaign/", {"action": "preview",
                                                       "_selected_action": [str(draft.pk)]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.audience_size == 1


def test_p_14_1_the_console_phone_list_records_calls(make_person, create, start):
    person = make_person(email=False, account=False)
    start(create([person], channels=("phone",)))
    task = Delivery.objects.get(subject=person)
    client = staff_client("notify", "view_phonetask", "change_delivery", name="caller")
    page = client.get("/admin/notify/phonetask/").content.decode()
    assert person.test_phone not in page and "****" in page
    client.post("/admin/notify/phonetask/", {"action": "mark_called",
                                             "_selected_action": [str(task.pk)]})
    task.refresh_from_db()
    assert task.called_at is not None and task.called_by.startswith("staff:")


def test_p_14_1_a_persons_export_lists_their_notices(make_person, create, start, smtp):
    person = make_person()
    start(create([person], channels=("email",), title="Incident update"))
    rows = subject_data.export(person)["notify_delivery"]
    assert rows[0]["campaign"] == "Incident update" and rows[0]["channel"] == Channel.EMAIL
    assert person.test_email not in str(rows)
    erased = subject_data.erase(actor=None, subject=person)
    assert erased.kept and Delivery.objects.filter(subject=person).exists()


def test_p_14_1_a_cancelled_campaign_hands_out_nothing_more(make_person, create, staff_actors):
    campaign = create([make_person() for _ in range(2)])
    services.cancel(actor=staff_actors[0], campaign=campaign)
    result = services.run(campaign_id=campaign.pk)
    assert result.done and result.handed == 0
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CANCELLED


def test_p_14_1_staff_add_a_campaign_in_the_console(make_person):
    person = make_person()
    client = staff_client("notify", "add_campaign", "view_campaign", "change_campaign")
    response = client.post("/admin/notify/campaign/add/", {
        "title": "Console notice", "kind": "other", "template": "notify.general",
        "fields": json.dumps(FIELDS),
        "audience": "subjects.listed", "audience_params": f'{{"subject_ids": ["{person.pk}"]}}',
        "channels": ["email", "site"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(title="Console notice")
    assert campaign.channels == ["email", "site"]
    assert campaign.created_by == f"staff:{client.user.pk}"
    refused = client.post("/admin/notify/campaign/add/", {
        "title": "Bad", "kind": "other", "template": "notify.general", "fields": '{"fr": {}}',
        "audience": "subjects.listed", "audience_params": "{}", "channels": ["email"]})
    assert refused.status_code == 200 and not Campaign.objects.filter(title="Bad").exists()


def test_p_14_1_an_acknowledgement_runs_the_hooks_of_the_campaign_kind(
        make_person, create, start, monkeypatch):
    """The policy app records a person's acceptance from here (kind policy_change)."""
    from piwarden.audit.actors import Actor
    from piwarden.notify import hooks

    monkeypatch.setattr(hooks, "_hooks", {})
    seen = []
    hooks.on_acknowledged("policy_change", lambda *, actor, delivery: seen.append(delivery.pk))
    person = make_person(email=False, phone=False)
    start(create([person], channels=("site",), kind="policy_change", require_ack=True))
    delivery = Delivery.objects.get(subject=person)
    services.acknowledge(actor=Actor.person(person), delivery=delivery)
    services.acknowledge(actor=Actor.person(person), delivery=delivery)  # once only
    assert seen == [delivery.pk]
    with pytest.raises(services.NotifyError) as refused:
        services.acknowledge(actor=Actor.person(make_person()), delivery=delivery)
    assert refused.value.code == "NOT_YOURS"
