import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from piwarden.audit.models import AuditEvent
from piwarden.vault import services as vault
from piwarden.vault.models import VaultValue
from tests.roles.factories import enrol
from tests.staffreads.helpers import give_role

pytestmark = pytest.mark.django_db

EMAIL = "alice.li@example.com"


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="a long staff password", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="vault",
                                                         codename__in=codenames))
    return user


@pytest.fixture
def row(actor, subject):
    vault.put(actor=actor, subject=subject, field="email", value=EMAIL,
              purpose="account.registration")
    return VaultValue.objects.get(subject=subject, field="email")


def reveal_url(row):
    return reverse("admin:vault_vaultvalue_reveal", args=[row.pk])


def test_staff_see_only_masked_values(row):
    client = Client()
    client.force_login(staff("viewer", "view_vaultvalue"))
    for url in (reverse("admin:vault_vaultvalue_changelist"),
                reverse("admin:vault_vaultvalue_change", args=[row.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert "a***@example.com" in page.text
        assert EMAIL not in page.text


def test_reveal_needs_the_permission(row):
    client = Client()
    client.force_login(staff("viewer", "view_vaultvalue"))
    assert client.get(reveal_url(row)).status_code == 403
    response = client.post(reveal_url(row), {"purpose": "service.provision",
                                             "reason": "ticket 981: cannot log in"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="vault.value_revealed").exists()


def test_reveal_needs_a_staff_login(row):
    response = Client().get(reveal_url(row))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_reveal_needs_csrf(row):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff("support", "view_vaultvalue", "reveal_vaultvalue"))
    response = client.post(reveal_url(row), {"purpose": "service.provision",
                                             "reason": "ticket 981: cannot log in"})
    assert response.status_code == 403
    assert EMAIL not in response.text


def test_reveal_with_a_reason_shows_the_value_and_audits_it(row):
    client = Client(enforce_csrf_checks=True)
    user = staff("support", "view_vaultvalue", "reveal_vaultvalue")
    give_role(user, "support")
    enrol(user)
    client.force_login(user)
    form = client.get(reveal_url(row))
    assert form.status_code == 200
    assert EMAIL not in form.text
    assert 'value="service.provision"' in form.text       # customer support may see contacts
    assert 'value="log.operation"' not in form.text       # logging never needs the e-mail
    token = form.cookies["csrftoken"].value

    empty = client.post(reveal_url(row), {"purpose": "service.provision", "reason": " ",
                                          "csrfmiddlewaretoken": token})
    assert empty.status_code == 200 and EMAIL not in empty.text

    shown = client.post(reveal_url(row), {"purpose": "service.provision",
                                          "reason": "ticket 981: cannot log in",
                                          "csrfmiddlewaretoken": token})
    assert shown.status_code == 200
    assert f'<code id="revealed-value">{EMAIL}</code>' in shown.text
    assert "no-cache" in shown["Cache-Control"] or "no-store" in shown["Cache-Control"]
    event = AuditEvent.objects.filter(action="vault.value_revealed").get()
    assert (event.actor_kind, event.actor_id) == ("staff", str(user.pk))
    assert (event.subject_id, event.purpose) == (row.subject_id, "service.provision")
    assert event.detail == {"field": "email", "reason": "ticket 981: cannot log in",
                            "key_version": 1}


def test_refused_reveal_shows_the_refusal(actor, subject):
    """An ID number needs the person's separate consent even for a staff member."""
    vault.put(actor=actor, subject=subject, field="id_number", value="11010119900307002X",
              purpose="service.provision")
    row = VaultValue.objects.get(subject=subject, field="id_number")
    client = Client()
    user = staff("support", "view_vaultvalue", "reveal_vaultvalue")
    user.is_superuser = True  # holds every purpose; sensitive PI goes through an unmask request
    user.save(update_fields=["is_superuser"])
    enrol(user)
    client.force_login(user)
    response = client.post(reveal_url(row), {"step": "request", "purpose": "service.provision",
                                             "reason": "customer asked to confirm the ID"})
    assert response.status_code == 200
    assert "consent or the law does not allow" in response.text
    assert "11010119900307002X" not in response.text
    event = AuditEvent.objects.filter(action="staff.unmask_refused").get()
    assert event.actor_kind == "staff"
    assert event.detail["reason"] == "customer asked to confirm the ID"
    assert event.detail["refusal"] == "separate_consent_missing"


def test_data_keys_page_never_shows_key_material(actor, subject, row):
    client = Client()
    user = staff("keys", "view_datakey")
    client.force_login(user)
    page = client.get(reverse("admin:vault_datakey_change", args=[subject.pk]))
    assert page.status_code == 200
    assert "field-master_version" in page.text
    assert "field-wrapped" not in page.text
    assert "memory at" not in page.text


def test_staff_cannot_reveal_credentials_or_use_all_pi_purposes(client, django_user_model):
    """Secrets are never shown, and "all PI" purposes are not offered for a console reveal."""
    from django.contrib.auth.models import Permission
    from django.db import transaction

    from piwarden.audit.actors import Actor
    from piwarden.subjects.services import create_subject
    from piwarden.vault import services as vault
    from piwarden.vault.forms import RevealForm
    from piwarden.vault.models import VaultValue

    staff = django_user_model.objects.create_user("revealer", password="x" * 20, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="reveal_vaultvalue"))
    client.force_login(staff)
    with transaction.atomic():
        subject = create_subject(actor=Actor.system("t"), kind="account_holder")
        vault.put(actor=Actor.system("t"), subject=subject, field="totp_secret",
                  value="JBSWY3DPEHPK3PXP", purpose="security")
    row = VaultValue.objects.get(subject=subject, field="totp_secret")
    assert client.get(f"/admin/vault/vaultvalue/{row.pk}/reveal/").status_code == 403
    offered = {key for key, _ in RevealForm(category="user.id_info").fields["purpose"].choices}
    assert offered and not offered & {"disclosure.authorities", "sharing.legal",
                                      "transfer.corporate"}


def test_file_keys_are_neither_revealed_in_the_console_nor_exported(client,
                                                                    django_user_model):
    """A sealed file's key opens the file outside its audited download: it is key material."""
    from django.db import transaction

    from piwarden.audit.actors import Actor
    from piwarden.subjects.services import create_subject
    from piwarden.vault import files, subject_data

    revealer = staff("keyholder", "reveal_vaultvalue")
    client.force_login(revealer)
    key = files.new_key()
    with transaction.atomic():
        subject = create_subject(actor=Actor.system("t"), kind="account_holder")
        vault.put(actor=Actor.system("t"), subject=subject, field="rights_evidence_key",
                  value=key, purpose="rights.requests")
    row = VaultValue.objects.get(subject=subject, field="rights_evidence_key")
    assert client.get(f"/admin/vault/vaultvalue/{row.pk}/reveal/").status_code == 403
    exported = subject_data.export(subject)["values"]
    assert [r["field"] for r in exported] == ["rights_evidence_key"]
    assert key not in str(exported)


def test_z_1_a_reveal_for_a_purpose_no_role_of_the_staff_member_holds_is_refused(row):
    """Z-1: sales (call-backs) may not reveal an e-mail for account registration; audited."""
    client = Client()
    user = staff("sales", "view_vaultvalue", "reveal_vaultvalue")
    give_role(user, "sales")
    enrol(user)
    client.force_login(user)
    form = client.get(reveal_url(row))
    assert 'value="account.registration"' not in form.text
    refused = client.post(reveal_url(row), {"purpose": "account.registration",
                                            "reason": "I would like to see it"})
    assert refused.status_code == 200 and EMAIL not in refused.text
    assert not AuditEvent.objects.filter(action="vault.value_revealed").exists()
    event = AuditEvent.objects.get(action="staff.read_refused")
    assert (event.purpose, event.outcome, event.detail["refusal"]) == (
        "account.registration", "denied", "PURPOSE_NOT_HELD")


def test_d_1_3_a_role_that_unmasks_reveals_nothing_before_the_authenticator(row):
    """D-1.3: a role granted during a session cannot unmask until the second factor is set up."""
    client = Client()
    user = staff("support2", "view_vaultvalue", "reveal_vaultvalue")
    give_role(user, "support")
    client.force_login(user)
    for answer in (client.get(reveal_url(row)),
                   client.post(reveal_url(row), {"purpose": "service.provision",
                                                 "reason": "ticket 981: cannot log in"})):
        assert answer.status_code == 302 and answer["Location"] == "/admin/second-factor/"
    assert not AuditEvent.objects.filter(action="vault.value_revealed").exists()
    enrol(user)
    assert EMAIL in client.post(reveal_url(row), {"purpose": "service.provision",
                                                  "reason": "ticket 981: cannot log in"}).text
