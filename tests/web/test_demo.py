import json

import pytest
from django.core.management import call_command

from piwarden.accounts.models import Account
from piwarden.clients.models import ApiClient

pytestmark = pytest.mark.django_db


def test_demo_creates_logins_once(settings, tmp_path, capsys):
    """`piwarden demo` makes a staff login, an API key and a person who can sign in."""
    settings.DATA_DIR = tmp_path
    call_command("demo")
    credentials = json.loads((tmp_path / "demo-credentials.txt").read_text())
    assert "consent:decide" in credentials["scopes"]
    assert Account.objects.count() == 1
    call_command("demo")
    assert ApiClient.objects.filter(name="demo-site").count() == 1
    assert Account.objects.count() == 1
    assert credentials["person_password"] in capsys.readouterr().out


def test_deploy_check_warns_when_messages_would_go_to_the_logs(settings, capsys):
    from django.core.management.base import SystemCheckError

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.ConsoleBackend"
    try:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    except SystemCheckError as error:
        assert "piwarden.W001" in str(error) and "piwarden.W002" in str(error)
    else:
        raise AssertionError("the deploy check did not warn")


def test_demo_shows_a_transfer_abroad_an_authority_flow_and_a_story_to_decide(
        settings, tmp_path):
    """The demo person sees the separate consent to the Hong Kong recipient (its transfer
    record filed) and a testimonial waiting for their consent; staff can enter an authority
    request on an active flow."""
    from piwarden.audit.actors import Actor
    from piwarden.catalog.services import load_catalog
    from piwarden.publication.models import PublishedItem
    from piwarden.sharing.models import Flow, Status

    settings.DATA_DIR = tmp_path
    load_catalog(actor=Actor.system("tests"))
    call_command("demo")
    call_command("demo")
    active = set(Flow.objects.filter(status=Status.ACTIVE).values_list("activity", "recipient"))
    assert {("crossborder.overseas_transfer", "third_party.overseas"),
            ("disclosure.to_authorities", "authority.competent")} <= active
    item = PublishedItem.objects.get()
    assert item.status == "awaiting_consent"
