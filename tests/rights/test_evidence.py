"""Rights evidence files: sealed before they touch the disk, opened only through the audited
admin download with ``rights.view_evidence``, unreadable after the person's erasure."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.rights import services
from piwarden.rights.models import RightsRequest
from piwarden.vault import files
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey
from tests.staff import staff_client

from .conftest import run_engine

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
MARKER = b"ID-CARD-MARKER-110105194912310021"
LETTER = b"%PDF-1.4\n" + MARKER + b"\n%%EOF"
MAIL = (b"From: someone@example.cn\r\nSubject: =?utf-8?b?5Yig6Zmk?=\r\n\r\n"
        b"Please delete my data. " + MARKER)


def _upload(data=LETTER, name="zhang-san-id-card.pdf"):
    return SimpleUploadedFile(name, data, "application/octet-stream")


def _submit(subject, data=LETTER):
    with transaction.atomic():
        return services.submit(actor=SYSTEM, subject=subject, type="complaint", channel="staff",
                               text="By post.", evidence=_upload(data))


def _stored(req) -> bytes:
    with req.evidence.open("rb") as handle:
        return handle.read()


def _staff(*codenames, name="clerk") -> Client:
    return staff_client("rights", *codenames, name=name)


def _url(req) -> str:
    return f"/admin/rights/rightsrequest/{req.pk}/evidence/"


def test_the_file_on_disk_holds_neither_the_content_nor_the_upload_name(account, admin_client):
    response = admin_client.post("/admin/rights/rightsrequest/add/", {
        "subject_id": str(account.subject_id), "type": "complaint", "text": "By post.",
        "categories": "", "purpose": "", "field": "", "evidence": _upload()})
    assert response.status_code == 302
    req = RightsRequest.objects.get()
    blob = _stored(req)
    assert MARKER not in blob and b"%PDF" not in blob and blob.startswith(files.FORMAT)
    assert "zhang" not in req.evidence.name and req.evidence.name.endswith(f"{req.pk}.sealed")
    assert vault.masked(account.subject, services.EVIDENCE_KEY) == "••••••"
    for url in (f"/media/{req.evidence.name}", f"/{req.evidence.name}"):  # MEDIA is not served
        assert admin_client.get(url).status_code == 404


def test_staff_with_the_permission_download_it_and_each_view_is_audited(account):
    req = _submit(account.subject)
    page = _staff("view_rightsrequest", "view_evidence")
    change = page.get(f"/admin/rights/rightsrequest/{req.pk}/change/").content.decode()
    assert _url(req) in change
    response = page.get(_url(req))
    assert response.status_code == 200 and response.content == LETTER
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    viewed = AuditEvent.objects.get(action="rights.evidence_viewed")
    assert (viewed.actor_kind, viewed.actor_id) == ("staff", str(page.user.pk))
    assert (viewed.subject_id, viewed.object_id) == (account.subject_id, str(req.pk))
    assert AuditEvent.objects.filter(action="vault.value_revealed", actor_id=str(page.user.pk),
                                     detail__field=services.EVIDENCE_KEY).exists()
    page.get(_url(req))
    assert AuditEvent.objects.filter(action="rights.evidence_viewed").count() == 2


def test_staff_without_the_permission_get_403_and_nothing_is_audited(account):
    req = _submit(account.subject)
    assert _staff("view_rightsrequest").get(_url(req)).status_code == 403
    assert Client().get(_url(req)).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action="rights.evidence_viewed").exists()


def test_one_key_opens_each_of_the_persons_files_and_an_email_is_a_download(account):
    first, second = _submit(account.subject), _submit(account.subject, MAIL)
    page = _staff("view_rightsrequest", "view_evidence")
    assert page.get(_url(first)).content == LETTER
    response = page.get(_url(second))
    # a text attachment is screened before it is sealed (discovery.screening): the marker is
    # an ID number with a wrong check character, which collection redacts too
    assert response.content == MAIL.replace(MARKER[15:], b"[REDACTED]")
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment")
    # each file is bound to its own request: swapped files do not open
    key = vault.reveal(actor=SYSTEM, subject=account.subject, field=services.EVIDENCE_KEY,
                       purpose=services.PURPOSE)
    with pytest.raises(vault.DecryptionFailed):
        files.open_(_stored(first), key=key, kind=services.EVIDENCE_KIND, owner_id=second.pk)


def test_another_subjects_key_does_not_open_it(account, make_lead):
    mine, theirs = _submit(account.subject), _submit(make_lead())
    other_key = vault.reveal(actor=SYSTEM, subject=theirs.subject,
                             field=services.EVIDENCE_KEY, purpose=services.PURPOSE)
    assert files.open_(_stored(theirs), key=other_key, kind=services.EVIDENCE_KIND,
                       owner_id=theirs.pk) == LETTER
    with pytest.raises(vault.DecryptionFailed):
        files.open_(_stored(mine), key=other_key, kind=services.EVIDENCE_KIND,
                    owner_id=mine.pk)


def test_other_file_types_are_refused(account, admin_client):
    for data in (b"<html><script>alert(1)</script>", b"PK\x03\x04\x00 docx", b"\xd5\xc5"):
        response = admin_client.post("/admin/rights/rightsrequest/add/", {
            "subject_id": str(account.subject_id), "type": "complaint", "text": "By post.",
            "categories": "", "purpose": "", "field": "", "evidence": _upload(data, "x.html")})
        assert response.status_code == 200 and b"The file must be one of" in response.content
    with pytest.raises(services.RightsError) as refused:
        _submit(account.subject, b"GIF89a\x01\x00\x01\x00")
    assert refused.value.code == "EVIDENCE_TYPE"
    assert not RightsRequest.objects.exists()


def test_after_the_persons_erasure_a_copy_of_the_file_no_longer_opens(
        account, django_capture_on_commit_callbacks):
    req = _submit(account.subject)
    copy = _stored(req)  # e.g. a backup of MEDIA_ROOT taken before the erasure
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        deletion = services.submit(actor=Actor.person(account.subject),
                                   subject=account.subject, type="deletion",
                                   channel="privacy_center", verified=True)
    run_engine(django_capture_on_commit_callbacks, deletion)
    assert DataKey.objects.get(subject=account.subject).shredded_at is not None
    assert vault.masked(account.subject, services.EVIDENCE_KEY) is None
    req.refresh_from_db()
    assert not req.evidence  # the kept request row has no file any more
    page = _staff("view_rightsrequest", "view_evidence")
    assert page.get(_url(req)).status_code == 410
    assert copy.startswith(files.FORMAT) and MARKER not in copy  # and no key opens it now


def test_the_retention_sweep_deletes_the_key_with_the_last_file(account):
    import datetime

    from django.utils import timezone

    from piwarden.rights.subject_data import RETENTION_KIND

    old, recent = _submit(account.subject), _submit(account.subject)
    long_ago = timezone.now() - datetime.timedelta(days=4 * 365)
    RightsRequest.objects.filter(pk=old.pk).update(status="completed", closed_at=long_ago)
    with transaction.atomic():
        RETENTION_KIND.expire(actor=SYSTEM, before=timezone.now(), limit=10)
    assert vault.masked(account.subject, services.EVIDENCE_KEY)  # the recent file still opens
    RightsRequest.objects.filter(pk=recent.pk).update(status="completed", closed_at=long_ago)
    with transaction.atomic():
        RETENTION_KIND.expire(actor=SYSTEM, before=timezone.now(), limit=10)
    assert vault.masked(account.subject, services.EVIDENCE_KEY) is None
