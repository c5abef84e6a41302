"""The download page and the certificate page: who may see them, and what they answer."""

import datetime
import io
import zipfile

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.subjectdata import access, services
from piwarden.subjectdata.models import ExportArchive
from tests.verified import verified_client

from .conftest import logged_in

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


@pytest.fixture
def archive(person):
    started = services.start_export(actor=STAFF, subject=person.subject)
    return services.build_export(archive_id=started.pk)


def test_owner_with_a_fresh_check_downloads_the_zip(person, archive):
    """The ZIP streams, the download is counted and audited."""
    response = logged_in(person).get(archive.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert "data.json" in zf.namelist()
    archive.refresh_from_db()
    assert archive.downloads == 1
    event = AuditEvent.objects.filter(action="subjectdata.export_downloaded").last()
    assert event.subject_id == person.subject_id and event.actor_id == str(person.subject_id)


def test_owner_without_a_fresh_check_is_sent_to_the_step_up_page(person, archive):
    response = logged_in(person, fresh=False).get(archive.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauth/?next=")
    assert archive.get_absolute_url() in response["Location"]
    archive.refresh_from_db()
    assert archive.downloads == 0


def test_another_person_gets_404(other, archive):
    assert logged_in(other).get(archive.get_absolute_url()).status_code == 404


def test_nobody_logged_in_is_sent_to_log_in(archive):
    response = Client().get(archive.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_an_unknown_archive_is_404(person):
    assert logged_in(person).get(
        "/privacy/data/exports/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_verified_session_downloads_without_an_account(archive):
    """What rights does after a code check for a person without an account."""
    client = Client()
    session = client.session
    request = RequestFactory().get("/")
    request.session = session
    access.mark_verified(request, archive.subject)
    session.save()
    assert client.get(archive.get_absolute_url()).status_code == 200


def test_verification_lasts_thirty_minutes(archive):
    request = RequestFactory().get("/")
    request.session = {}
    request.user = None
    access.mark_verified(request, archive.subject)
    assert access.may_download(request, archive)
    old = (timezone.now() - datetime.timedelta(minutes=31)).timestamp()
    request.session[access.SESSION_KEY][str(archive.subject_id)] = old
    assert not access.may_download(request, archive)


def test_expired_archive_answers_410(person, archive):
    ExportArchive.objects.filter(pk=archive.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = logged_in(person).get(archive.get_absolute_url())
    assert response.status_code == 410


def test_pending_archive_shows_a_waiting_page_in_chinese(person):
    pending = services.start_export(actor=STAFF, subject=person.subject)
    client = logged_in(person)
    response = client.get(pending.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "正在生成您的副本" in response.content.decode()


def test_certificate_page(person):
    """The person (verified session: the account is gone) reads the certificate; audited."""
    run = services.start_erasure(actor=STAFF, subject=person.subject, categories=None,
                                 reason="deletion request")
    run = services.run_erasure(run_id=run.pk)
    assert logged_in  # the account no longer exists: only a verified session reaches it
    assert Client().get(run.get_absolute_url()).status_code == 302
    anonymous = verified_client(person.subject)
    response = anonymous.get(run.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    # the sources in words (issue 17 point 3), their keys only in data attributes
    assert 'data-source="consent.ledger"' in body and "Your consents and their history" in body
    assert ">consent.ledger<" not in body and "<code>" not in body
    data = anonymous.get(run.get_absolute_url() + "?format=json").json()
    assert data["vault_key_destroyed"] is True
    assert AuditEvent.objects.filter(action="subjectdata.certificate_viewed",
                                     subject=person.subject).count() == 2


def test_certificate_of_another_person_is_404(person, other):
    run = services.start_erasure(actor=STAFF, subject=person.subject, categories=["user.name"],
                                 reason="correction")
    services.run_erasure(run_id=run.pk)
    assert logged_in(other).get(run.get_absolute_url()).status_code == 404
    assert logged_in(person).get(run.get_absolute_url()).status_code == 200


def test_a_missing_file_answers_410_not_500(person, archive):
    from piwarden.subjectdata import archive as files

    files.file_path(archive.pk).unlink()
    assert logged_in(person).get(archive.get_absolute_url()).status_code == 410
