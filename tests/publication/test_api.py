"""The website's staff API and the console for published items (S-4.3.1)."""

import pytest

from piwarden.audit.models import AuditEvent
from piwarden.consent.models import Choice
from piwarden.notify.models import Campaign
from piwarden.publication.models import PublishedItem, Status
from tests.staff import staff_client

from .conftest import PNG, choose, png

pytestmark = pytest.mark.django_db

API = "/api/v1/publication"
ALL = ("view_publisheditem", "add_publisheditem", "change_publisheditem",
       "publish_publisheditem")
NEW = {"kind": "case_study", "title_zh": "李先生的案例", "title_en": "Mr Li's case study",
       "body_zh": "节省了时间。", "body_en": "It saved time."}


@pytest.fixture
def editor():
    return staff_client("publication", *ALL, name="editor-api")


def test_s_4_3_1_api_publishing_without_consent_is_refused(editor, person):
    made = editor.post(f"{API}/", {**NEW, "subject_id": str(person.pk)},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    item_id = made.json()["id"]
    asked = editor.post(f"{API}/{item_id}/request-consent")
    assert asked.json()["status"] == "awaiting_consent"
    message = Campaign.objects.get(concerns_id=item_id)  # the person is told by a site message
    assert message.channels == ["site"] and message.audience_params == {
        "subject_ids": [str(person.pk)]}
    assert "Mr Li" not in str(message.fields)
    refused = editor.post(f"{API}/{item_id}/publish")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "CONSENT_MISSING"
    choose(PublishedItem.objects.get(pk=item_id))
    published = editor.post(f"{API}/{item_id}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published" and published.json()["consent_holds"]
    down = editor.post(f"{API}/{item_id}/take-down")
    assert down.json()["status"] == "taken_down" and down.json()["takedown_reason"] == "staff"


def test_s_4_3_1_api_needs_the_permissions(person, make_item):
    item = make_item()
    viewer = staff_client("publication", "view_publisheditem", name="viewer")
    assert viewer.get(f"{API}/{item.pk}").status_code == 200
    assert viewer.post(f"{API}/{item.pk}/publish").status_code == 403
    assert viewer.post(f"{API}/", {**NEW, "subject_id": str(person.pk)},
                       content_type="application/json").status_code == 403
    from django.test import Client

    assert Client().get(f"{API}/").status_code == 401


def test_s_4_3_1_api_bad_input_is_a_4xx(editor, person, make_item):
    unknown = editor.post(f"{API}/", {**NEW, "subject_id": "00000000-0000-0000-0000-000000000000"},
                          content_type="application/json")
    assert unknown.status_code == 404
    bad_kind = editor.post(f"{API}/", {**NEW, "kind": "poem", "subject_id": str(person.pk)},
                           content_type="application/json")
    assert bad_kind.status_code == 422
    assert editor.get(f"{API}/not-a-uuid").status_code == 404
    asked = make_item()
    changed = editor.patch(f"{API}/{asked.pk}", {"title_en": "New"},
                           content_type="application/json")
    assert changed.status_code == 409


def test_s_4_3_1_console_creates_an_item_and_publishes_only_with_consent(person):
    console = staff_client("publication", *ALL, name="editor-console")
    form = {**NEW, "subject": str(person.pk), "image_upload": png()}
    response = console.post("/admin/publication/publisheditem/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    item = PublishedItem.objects.get(subject=person)
    assert bytes(item.image) == PNG
    assert AuditEvent.objects.filter(action="publication.created",
                                     object_id=str(item.pk)).exists()
    changelist = "/admin/publication/publisheditem/"
    for action in ("request_consent", "publish"):
        console.post(changelist, {"action": action, "_selected_action": [str(item.pk)]})
    item.refresh_from_db()
    assert item.status == Status.AWAITING_CONSENT  # publishing was refused: no consent
    choose(item)
    console.post(changelist, {"action": "publish", "_selected_action": [str(item.pk)]})
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED
    assert console.get(f"{changelist}{item.pk}/change/").status_code == 200
    choose(item, Choice.WITHDRAW)
    item.refresh_from_db()
    assert item.status == Status.TAKEN_DOWN


def test_s_4_3_1_api_reads_are_audited_naming_the_person(editor, make_item, person):
    item = make_item()
    assert editor.get(f"{API}/{item.pk}").status_code == 200
    assert len(editor.get(f"{API}/").json()) == 1
    reads = AuditEvent.objects.filter(action="publication.read")
    assert reads.count() == 2
    assert all(str(person.pk) in {str(s) for s in read.touched.values_list(
        "subject_id", flat=True)} for read in reads)


def test_s_4_3_1_console_publishing_needs_the_publish_permission(make_item):
    item = make_item()
    choose(item)
    clerk = staff_client("publication", "view_publisheditem", "change_publisheditem",
                         name="clerk-console")
    clerk.post("/admin/publication/publisheditem/",
               {"action": "publish", "_selected_action": [str(item.pk)]})
    item.refresh_from_db()
    assert item.status == Status.AWAITING_CONSENT
