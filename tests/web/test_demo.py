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
