"""Campaign entries: the consent grant with its encrypted scan, the console, the notice
version, and the scan's access rules (policy §2.1(4), P-2)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from piwarden.audit.models import AuditEvent
from piwarden.campaigns import services
from piwarden.campaigns.models import CampaignEntry
from piwarden.consent import decisions
from piwarden.consent import services as consent
from piwarden.consent.notices import NoticeVersionError
from piwarden.subjects.models import SubjectKind
from piwarden.vault import files
from piwarden.vault import services as vault
from tests.staffreads.helpers import state_purpose

from .factories import SCAN_SECRET, campaign, entry, scan_file

pytestmark = pytest.mark.django_db


def test_entry_stores_pi_in_the_vault_and_grants_offline_consent(_media):
    e = entry(campaign())
    assert e.subject.kind == SubjectKind.CAMPAIGN_CONTACT
    assert vault.masked(e.subject, "phone") == "137****7000"
    assert vault.masked(e.subject, "campaigns_occupation").startswith("A*")
    assert vault.masked(e.subject, "campaigns_scan_key") == "••••••"
    event = e.consent_event
    assert (event.purpose, event.choice, event.channel) == ("campaign.offline", "grant",
                                                            "offline")
    assert event.evidence.name.startswith("consent/evidence/")
    decision = decisions.decide(e.subject.pk, "campaign.offline", ["user.occupation"])
    assert decision.allowed
    # the scan on disk is encrypted: no plaintext, not even the PDF header
    stored = (_media / event.evidence.name).read_bytes()
    assert SCAN_SECRET not in stored and b"%PDF" not in stored
    record = AuditEvent.objects.get(action="campaigns.entry_recorded")
    assert "13700137000" not in str(record.detail)


@pytest.mark.parametrize(("version", "status", "code"), [
    (None, 422, "NOTICE_VERSION_REQUIRED"), ("2019.1", 409, "NOTICE_OUTDATED")])
def test_notice_version_is_required(version, status, code):
    camp = campaign()
    with pytest.raises(NoticeVersionError) as exc:
        services.record_entry(actor=services.Actor.system("t"), campaign=camp,
                              recorded_by=None, via="console",
                              values=services.EntryValues(name="A", phone="13700137000"),
                              notice_version=version, scan=scan_file())
    assert (exc.value.status, exc.value.code) == (status, code)
    assert not CampaignEntry.objects.exists()


@pytest.mark.parametrize(("values", "scan", "code"), [
    ({"phone": "13700137000"}, True, "NAME_REQUIRED"),
    ({"name": "A"}, True, "CONTACT_REQUIRED"),
    ({"name": "A", "phone": "123"}, True, "PHONE_INVALID"),
    ({"name": "A", "phone": "13700137000"}, False, "SCAN_REQUIRED"),
])
def test_bad_entries_store_nothing(values, scan, code):
    with pytest.raises(services.CampaignError) as exc:
        services.record_entry(actor=services.Actor.system("t"), campaign=campaign(),
                              recorded_by=None, via="console",
                              values=services.EntryValues(**values),
                              notice_version=consent.policy_version(),
                              scan=scan_file() if scan else None)
    assert exc.value.code == code
    assert not CampaignEntry.objects.exists()


def test_scan_type_is_checked():
    from django.core.files.uploadedfile import SimpleUploadedFile
    with pytest.raises(services.CampaignError) as exc:
        services.record_entry(actor=services.Actor.system("t"), campaign=campaign(),
                              recorded_by=None, via="console",
                              values=services.EntryValues(name="A", phone="13700137000"),
                              notice_version=consent.policy_version(),
                              scan=SimpleUploadedFile("x.exe", b"MZ\x90\x00"))
    assert exc.value.code == "SCAN_TYPE"


def _staff(*perms, name="campaign-staff"):
    user = get_user_model().objects.create_user(name, password="x-long-pass-99", is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def test_console_add_form_records_an_entry_and_lists_masks(client):
    camp = campaign()
    client.force_login(_staff("add_campaignentry", "view_campaignentry"))
    page = client.get("/admin/campaigns/campaignentry/add/")
    assert page.status_code == 200 and consent.policy_version() in page.content.decode()
    data = {"campaign": camp.pk, "name": "赵六", "title": "", "phone": "13600136000",
            "email": "", "occupation": "Fleet manager",
            "notice_version": consent.policy_version(), "scan": scan_file()}
    response = client.post("/admin/campaigns/campaignentry/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = CampaignEntry.objects.get()
    assert saved.via == "console" and saved.recorded_by.username == "campaign-staff"
    # No role holds campaign.offline yet: a superuser reads the list (purpose stated).
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 20))
    state_purpose(client, "campaigns/campaignentry", "campaign.offline")
    listing = client.get("/admin/campaigns/campaignentry/").content.decode()
    assert "136****6000" in listing and "13600136000" not in listing and "赵六" not in listing
    bad = client.post("/admin/campaigns/campaignentry/add/",
                      {**data, "notice_version": "2019.1", "scan": scan_file()})
    assert bad.status_code == 200 and "outdated" in bad.content.decode()
    assert CampaignEntry.objects.count() == 1


def test_scan_opens_only_with_the_permission_and_a_reason(client):
    e = entry(campaign())
    url = f"/admin/campaigns/campaignentry/{e.pk}/scan/"
    client.force_login(_staff("view_campaignentry"))
    assert client.post(url, {"reason": "audit"}).status_code == 403
    reader = _staff("view_campaignentry", "view_scan", name="scan-reader")
    reader.is_superuser = True  # no role holds campaign.offline yet
    reader.save(update_fields=["is_superuser"])
    client.force_login(reader)
    state_purpose(client, "campaigns/campaignentry", "campaign.offline")
    assert b"Reason" in client.get(url).content
    assert SCAN_SECRET not in client.post(url, {"reason": " "}).content
    response = client.post(url, {"reason": "complaint 17: check the signature"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert SCAN_SECRET in response.content
    viewed = AuditEvent.objects.get(action="campaigns.scan_viewed")
    assert viewed.detail["reason"] == "complaint 17: check the signature"
    assert AuditEvent.objects.filter(action="vault.value_revealed",
                                     subject_id=e.subject_id).exists()


def test_scan_does_not_open_under_another_entry():
    camp = campaign()
    first, second = entry(camp), entry(camp, phone="13500135000")
    key = vault.reveal(actor=services.Actor.system("t"), subject=first.subject,
                       field="campaigns_scan_key", purpose="consent.management")
    blob = first.consent_event.evidence.open("rb").read()
    assert SCAN_SECRET in files.open_(blob, key=key, kind=services.SCAN_KIND, owner_id=first.pk)
    with pytest.raises(vault.VaultError):
        files.open_(blob, key=key, kind=services.SCAN_KIND, owner_id=second.pk)
