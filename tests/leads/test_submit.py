"""Call-back requests through the public API and the contact form (policy §2.1(2), P-2)."""

import pytest
from django.contrib.auth import get_user_model

from piwarden.audit.models import AuditEvent
from piwarden.consent import decisions
from piwarden.consent import services as consent
from piwarden.consent.models import ConsentEvent
from piwarden.leads.models import Lead, LeadStatus
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.vault import services as vault

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/"


def body(**extra):
    return {"phone": "138 0013 8000", "email": "Li.Lei@Example.cn", "name": "李雷",
            "message": "Please call me after 6 pm about the ECU tuner.", "contact_ok": True,
            "notice_version": consent.policy_version(), **extra}


def post(client, payload, **headers):
    return client.post(URL, payload, content_type="application/json", **headers)


def test_api_stores_a_request_in_the_vault_with_consent(client):
    response = post(client, body())
    assert response.status_code == 201, response.content
    assert response.json() == {"received": True}
    lead = Lead.objects.get()
    assert lead.subject.kind == SubjectKind.LEAD and lead.status == LeadStatus.OPEN
    assert lead.has_message and lead.channel == "api"
    assert vault.masked(lead.subject, "phone") == "138****8000"
    assert vault.masked(lead.subject, "leads_message") == "[46 characters]"
    event = ConsentEvent.objects.get(subject=lead.subject)
    assert (event.purpose, event.choice, event.channel) == ("lead.callback", "grant", "api")
    assert "180 days" in event.notice.text
    decision = decisions.decide(lead.subject.pk, "lead.callback", ["user.contact.phone"])
    assert decision.allowed and decision.reason == "consent_granted"
    record = AuditEvent.objects.get(action="leads.submitted")
    assert record.detail["fields"] == ["phone", "email", "name", "leads_message"]
    assert "138" not in str(record.detail)


def test_missing_notice_version_is_422_and_outdated_is_409(client):
    response = post(client, body(notice_version=None))
    assert (response.status_code, response.json()["error"]["code"]) == (
        422, "NOTICE_VERSION_REQUIRED")
    response = post(client, body(notice_version="2019.1"))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "NOTICE_OUTDATED")
    assert response.json()["error"]["detail"]["current_version"] == consent.policy_version()
    assert not Lead.objects.exists() and not Subject.objects.filter(kind="lead").exists()


@pytest.mark.parametrize(("changes", "code"), [
    ({"phone": "", "email": ""}, "CONTACT_REQUIRED"),
    ({"phone": "12345"}, "PHONE_INVALID"),
    ({"email": "not-an-address"}, "EMAIL_INVALID"),
    ({"contact_ok": False}, "CONSENT_REQUIRED"),
    ({"message": "x" * 2001}, "VALIDATION_ERROR"),
    ({"name": "x" * 101}, "VALIDATION_ERROR"),
])
def test_bad_submissions_store_nothing(client, changes, code):
    response = post(client, body(**changes))
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    assert not Lead.objects.exists() and not ConsentEvent.objects.filter(
        purpose="lead.callback").exists()


def test_one_person_is_one_subject_and_one_open_request(client, system_actor):
    assert post(client, body()).status_code == 201
    # the same e-mail address typed differently, another phone number: still the same person
    assert post(client, body(phone="", email="li.lei@example.cn", message="Again")).status_code \
        == 201
    lead = Lead.objects.get()
    assert lead.submissions == 2
    assert Subject.objects.filter(kind="lead").count() == 1
    from piwarden.leads import services
    services.close(actor=system_actor, lead=lead)
    assert vault.masked(lead.subject, "leads_message") is None
    assert vault.masked(lead.subject, "phone") == "138****8000"
    assert post(client, body(message="Third time")).status_code == 201
    assert Lead.objects.filter(subject=lead.subject).count() == 2
    assert Lead.objects.filter(status="open").get().has_message


def test_rate_limit_per_ip(client, settings):
    settings.PIWARDEN_LEADS_RATE = 2
    assert post(client, body()).status_code == 201
    assert post(client, body(email="other@example.cn", phone="")).status_code == 201
    response = post(client, body(email="third@example.cn", phone=""))
    assert (response.status_code, response.json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert post(client, body(email="4@example.cn", phone=""), REMOTE_ADDR="10.9.9.9"
                ).status_code == 201


def test_honeypot_stores_nothing(client):
    assert post(client, body(website="http://spam.example")).status_code == 201
    assert not Lead.objects.exists()


def test_notice_endpoint_is_public():
    from django.test import Client
    response = Client().get("/api/v1/leads/notice?lang=zh-hans")
    assert response.status_code == 200
    assert response.json()["notice_version"] == consent.policy_version()
    assert "180天" in response.json()["text"]


# --- the form ----------------------------------------------------------------------------------

def form_data(page, **extra):
    import re
    html = page.content.decode()
    data = {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
            for name in ("notice_version", "started")}
    return {**data, "phone": "13900139000", "email": "", "name": "", "message": "Hi",
            "contact_ok": "on", "website": "", **extra}


def test_form_shows_the_notice_and_stores_a_request(client):
    page = client.get("/contact/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "180 days" in html and 'name="contact_ok"' in html
    import re
    box = re.search(r'<input[^>]*name="contact_ok"[^>]*>', html).group(0)
    assert 'type="checkbox"' in box and "checked" not in box  # never pre-ticked
    response = client.post("/contact/", form_data(page))
    assert response.status_code == 302 and response["Location"] == "/contact/thanks/"
    lead = Lead.objects.get()
    assert lead.channel == "form" and vault.masked(lead.subject, "phone") == "139****9000"


def test_form_in_chinese(client):
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/contact/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "联系我们" in page.content.decode() and "180天" in page.content.decode()


def test_form_outdated_notice_rerenders_with_the_current_one(client):
    page = client.get("/contact/")
    response = client.post("/contact/", form_data(page, notice_version="2019.1"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-code="NOTICE_OUTDATED"' in html
    assert f'name="notice_version" value="{consent.policy_version()}"' in html
    assert not Lead.objects.exists()
    response = client.post("/contact/", form_data(page, notice_version=""))
    assert response.status_code == 422 and "NOTICE_VERSION_REQUIRED" in response.content.decode()


def test_form_spam_defences(client, settings):
    page = client.get("/contact/")
    assert client.post("/contact/", form_data(page, website="x")).status_code == 302
    assert not Lead.objects.exists()
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 60
    response = client.post("/contact/", form_data(page))
    assert response.status_code == 400 and "TOO_FAST" in response.content.decode()
    response = client.post("/contact/", form_data(page, started="forged"))
    assert response.status_code == 400
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 0
    response = client.post("/contact/", form_data(page, contact_ok=""))
    assert response.status_code == 422 and "CONSENT_REQUIRED" in response.content.decode()
    settings.PIWARDEN_LEADS_RATE = 1
    from piwarden.accounts.models import ThrottleEvent
    ThrottleEvent.objects.all().delete()  # the refused posts above were counted
    assert client.post("/contact/", form_data(page)).status_code == 302
    assert client.post("/contact/", form_data(page)).status_code == 429
    assert Lead.objects.count() == 1


def test_form_needs_csrf():
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/contact/")
    data = form_data(page)
    assert strict.post("/contact/", data).status_code == 403


def test_admin_shows_masks_only(client):
    post(client, body())
    staff = get_user_model().objects.create_superuser("lead-admin", password="x-long-pass-99")
    client.force_login(staff)
    from tests.staffreads.helpers import state_purpose
    state_purpose(client, "leads/lead", "lead.callback")
    page = client.get("/admin/leads/lead/")
    html = page.content.decode()
    assert page.status_code == 200 and "138****8000" in html
    assert "13800138000" not in html and "Li.Lei" not in html and "李雷" not in html
    lead = Lead.objects.get()
    detail = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "after 6 pm" not in detail and "vault/vaultvalue/?q=" in detail
    response = client.post("/admin/leads/lead/", {"action": "close_requests",
                                                  "_selected_action": [str(lead.pk)]})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "closed" and not lead.has_message
