"""Paper consent scans: sealed before they touch the disk, opened only through the audited
admin download with ``consent.view_evidence``, unreadable after the person's erasure while the
ledger keeps the event."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from piwarden.audit.models import AuditEvent
from piwarden.consent import services
from piwarden.consent.models import Channel, ConsentEvent
from piwarden.subjectdata import services as subjectdata
from piwarden.vault import files
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey
from tests.staff import staff_client
from tests.staffreads.helpers import give_role, state_purpose

pytestmark = pytest.mark.django_db
ADD = "/admin/consent/consentevent/add/"
MARKER = b"SIGNED-BY-WANG-WU-13800138000"
SCAN = b"%PDF-1.4\n" + MARKER + b"\n%%EOF"
KEY = {"field": services.EVIDENCE_KEY, "purpose": "consent.management"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _paper_grant(client, subject, data=SCAN):
    return client.post(ADD, {
        "subject_id": str(subject.pk), "purpose": "marketing.phone", "scope": "general",
        "choice": "grant", "notice_text": "Printed consent text",
        "evidence": SimpleUploadedFile("wang-wu.pdf", data, "application/pdf")})


@pytest.fixture
def recorded(admin_client, person):
    assert _paper_grant(admin_client, person).status_code == 302
    return ConsentEvent.objects.get(subject=person)


def _stored(event) -> bytes:
    with event.evidence.open("rb") as handle:
        return handle.read()


def _staff(*codenames, name="clerk") -> Client:
    """A privacy officer who stated the consent-management purpose for consent records."""
    client = staff_client("consent", *codenames, name=name)
    give_role(client.user, "privacy_officer")
    state_purpose(client, "consent/consentevent", "consent.management")
    return client


def _url(event) -> str:
    return f"/admin/consent/consentevent/{event.pk}/evidence/"


def test_the_scan_on_disk_is_sealed(recorded):
    blob = _stored(recorded)
    assert MARKER not in blob and b"%PDF" not in blob and blob.startswith(files.FORMAT)
    assert "wang" not in recorded.evidence.name and recorded.evidence_id is not None
    assert vault.masked(recorded.subject, services.EVIDENCE_KEY) == "••••••"


def test_staff_with_the_permission_download_it_and_each_view_is_audited(recorded):
    page = _staff("view_consentevent", "view_evidence")
    change = page.get(f"/admin/consent/consentevent/{recorded.pk}/change/").content.decode()
    assert _url(recorded) in change
    response = page.get(_url(recorded))
    assert response.status_code == 200 and response.content == SCAN
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    viewed = AuditEvent.objects.get(action="consent.evidence_viewed")
    assert (viewed.actor_kind, viewed.actor_id) == ("staff", str(page.user.pk))
    assert (viewed.subject_id, viewed.object_id) == (recorded.subject_id, str(recorded.pk))


def test_staff_without_the_permission_get_403(recorded):
    assert _staff("view_consentevent").get(_url(recorded)).status_code == 403
    assert not AuditEvent.objects.filter(action="consent.evidence_viewed").exists()


def test_neither_another_subjects_key_nor_another_event_opens_it(admin_client, recorded,
                                                                 make_subject, system_actor):
    other = make_subject()
    assert _paper_grant(admin_client, other).status_code == 302
    theirs = ConsentEvent.objects.get(subject=other)
    other_key = vault.reveal(actor=system_actor, subject=other, **KEY)
    with pytest.raises(vault.DecryptionFailed):
        files.open_(_stored(recorded), key=other_key, kind=services.EVIDENCE_KIND,
                    owner_id=recorded.evidence_id)
    # the person's second scan uses the same key, bound to its own event
    assert _paper_grant(admin_client, recorded.subject).status_code == 302
    second = ConsentEvent.objects.filter(subject=recorded.subject).exclude(pk=recorded.pk).get()
    key = vault.reveal(actor=system_actor, subject=recorded.subject, **KEY)
    assert files.open_(_stored(second), key=key, kind=services.EVIDENCE_KIND,
                       owner_id=second.evidence_id) == SCAN
    with pytest.raises(vault.DecryptionFailed):
        files.open_(_stored(recorded), key=key, kind=services.EVIDENCE_KIND,
                    owner_id=second.evidence_id)
    assert theirs.evidence_id != recorded.evidence_id


def test_only_scans_are_accepted(admin_client, person):
    response = _paper_grant(admin_client, person, b"just some text")
    assert response.status_code == 200 and b"The file must be one of" in response.content
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_after_the_persons_erasure_the_kept_scan_no_longer_opens(recorded, system_actor):
    copy = _stored(recorded)  # e.g. a backup of MEDIA_ROOT taken before the erasure
    with transaction.atomic():
        run = subjectdata.start_erasure(actor=system_actor, subject=recorded.subject,
                                        categories=None, reason="test erasure")
    subjectdata.run_erasure(run_id=run.pk)
    recorded.refresh_from_db()
    assert recorded.evidence and _stored(recorded) == copy  # the ledger keeps event and file
    assert DataKey.objects.get(subject=recorded.subject).shredded_at is not None
    assert vault.masked(recorded.subject, services.EVIDENCE_KEY) is None
    page = _staff("view_consentevent", "view_evidence")
    assert page.get(_url(recorded)).status_code == 410
    with pytest.raises(vault.RevealRefused):  # the erased person's key: nothing to reveal
        services.read_evidence(actor=system_actor, event=recorded)


def test_a_scan_sealed_by_a_campaign_is_stored_as_given(admin_client, person, system_actor):
    event = services.grant(actor=system_actor, subject=person, purpose="marketing.phone",
                           notice_text="Printed", channel=Channel.OFFLINE,
                           evidence=ContentFile(b"\x01already sealed", name="x.scan"),
                           evidence_sealed=True)
    assert _stored(event) == b"\x01already sealed" and event.evidence_id is None
    state_purpose(admin_client, "consent/consentevent", "consent.management")
    page = admin_client.get(f"/admin/consent/consentevent/{event.pk}/change/")
    assert b"Sealed by its campaign entry: it opens from the entry" in page.content
    assert admin_client.get(_url(event)).status_code == 410


def test_a_scan_stored_before_sealing_is_deleted_by_the_erasure(admin_client, person,
                                                                system_actor):
    """A plaintext scan from before sealing (no ``evidence_id``, not a sealed blob) cannot be
    reached by shredding a key: the erasure deletes it and keeps the event."""
    legacy = services.grant(actor=system_actor, subject=person, purpose="marketing.phone",
                            notice_text="Printed", channel=Channel.OFFLINE,
                            evidence=ContentFile(SCAN, name="old.pdf"), evidence_sealed=True)
    sealed = services.grant(actor=system_actor, subject=person, purpose="marketing.email",
                            notice_text="Printed", channel=Channel.OFFLINE,
                            evidence=ContentFile(b"\x01already sealed", name="x.scan"),
                            evidence_sealed=True)
    path = legacy.evidence.path
    state_purpose(admin_client, "consent/consentevent", "consent.management")
    page = admin_client.get(f"/admin/consent/consentevent/{legacy.pk}/change/")
    assert b"Stored unencrypted before evidence was sealed" in page.content
    with transaction.atomic():
        run = subjectdata.start_erasure(actor=system_actor, subject=person, categories=None,
                                        reason="test erasure")
    subjectdata.run_erasure(run_id=run.pk)
    legacy.refresh_from_db()
    sealed.refresh_from_db()
    assert not legacy.evidence and ConsentEvent.objects.filter(pk=legacy.pk).exists()
    assert not Path(path).exists()
    assert _stored(sealed) == b"\x01already sealed"  # sealed: kept, its key is what goes
