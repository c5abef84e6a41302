"""The demo's e-mail and SMS delivery (issue 16, part 2): messages go to files under the data
folder that an erasure deletes, and the log holds no address, number or code."""

import logging
import re
import runpy

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction

import piwarden.settings
from piwarden.accounts import message_files
from piwarden.audit.actors import Actor
from piwarden.rights import public
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import services as vault
from tests.outbox.sending import send_queued

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
PHONE, EMAIL = "+8613912345678", "li.lei@example.cn"


@pytest.fixture
def demo_messages(settings, tmp_path):
    """The shipped defaults (no SMTP server, no SMS gateway), the data folder in tmp_path."""
    settings.EMAIL_BACKEND = "piwarden.sharing.egress.EmailBackend"
    settings.PIWARDEN_EMAIL_DELIVERY_BACKEND = "piwarden.accounts.message_files.EmailBackend"
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.MessageFileBackend"
    settings.DATA_DIR = tmp_path
    return tmp_path / "messages"


@pytest.fixture
def lead():
    with transaction.atomic():
        subject = create_subject(actor=ACTOR, kind=SubjectKind.LEAD)
        vault.put(actor=ACTOR, subject=subject, field="phone", value=PHONE,
                  purpose="lead.callback")
        vault.put(actor=ACTOR, subject=subject, field="email", value=EMAIL,
                  purpose="lead.callback")
    return subject


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_the_shipped_defaults_are_the_message_files(monkeypatch, tmp_path):
    """Without PIWARDEN_EMAIL_HOST or PIWARDEN_SMS_BACKEND nothing is printed on the console."""
    for name in ("PIWARDEN_EMAIL_HOST", "PIWARDEN_EMAIL_DELIVERY_BACKEND",
                 "PIWARDEN_SMS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIWARDEN_DATA_DIR", str(tmp_path))
    shipped = runpy.run_path(piwarden.settings.__file__)
    assert shipped["PIWARDEN_SMS_BACKEND"] == "piwarden.accounts.sms.MessageFileBackend"
    assert (shipped["PIWARDEN_EMAIL_DELIVERY_BACKEND"]
            == "piwarden.accounts.message_files.EmailBackend")


@pytest.mark.parametrize("channel,value", [("phone", "139 1234 5678"), ("email", EMAIL)])
def test_a_sent_code_is_in_a_file_and_not_in_the_log(demo_messages, lead, channel, value,
                                                      caplog, capsys):
    """The log and stdout of sending a code hold no number, address or code (they used to
    print all three on the console); the message is a file under the data folder."""
    caplog.set_level(logging.DEBUG)
    public.start({}, channel=channel, value=value, ip="10.3.0.1")
    assert send_queued() == 1
    [path] = _files(demo_messages)
    code = re.search(r"\b(\d{6})\b", path.read_text()).group(1)
    said = caplog.text + "".join(capsys.readouterr())
    assert "written to messages/" in caplog.text
    for secret in (code, "12345678", "1391234", "li.lei", "example.cn"):
        assert secret not in said
    assert path.stat().st_mode & 0o077 == 0


def test_an_erasure_deletes_the_persons_message_files(demo_messages, lead,
                                                      django_capture_on_commit_callbacks):
    """An erasure of everything reaches the message files to the person's phone and e-mail,
    and leaves other people's files alone."""
    public.start({}, channel="phone", value=PHONE, ip="10.3.0.2")
    public.start({}, channel="email", value=EMAIL, ip="10.3.0.2")
    assert send_queued() == 2
    other = message_files.write("phone", "+8613800000001", "someone else's message")
    assert len(_files(demo_messages)) == 3
    assert len(message_files.export(lead)["message_files"]) == 2
    with django_capture_on_commit_callbacks(execute=False):
        run = subjectdata.start_erasure(actor=ACTOR, subject=lead, categories=None,
                                        reason="test")
    run = subjectdata.run_erasure(run_id=run.pk)
    assert _files(demo_messages) == [other]


def test_an_erasure_of_the_phone_only_keeps_the_email_files(demo_messages, lead):
    public.start({}, channel="phone", value=PHONE, ip="10.3.0.3")
    public.start({}, channel="email", value=EMAIL, ip="10.3.0.3")
    send_queued()
    with transaction.atomic():
        erased = message_files.erase(actor=ACTOR, subject=lead, categories=["user.contact.phone"])
    assert erased.erased == 1
    [left] = _files(demo_messages)
    assert left.parent.name.startswith("email-")


def test_the_deploy_check_warns_about_the_demo_backends(demo_messages):
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "piwarden.W001" in str(error.value) and "piwarden.W002" in str(error.value)


def test_the_deploy_check_warns_about_the_shared_sms_file(settings):
    """The one-file SMS backend of the tests is not reached by an erasure either."""
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "piwarden.W002" in str(error.value)
