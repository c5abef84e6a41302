"""The public list of services and handlers (page and API), and the staff API."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from piwarden.sites import services
from tests.sites.conftest import in_days, offering

pytestmark = pytest.mark.django_db


@pytest.fixture
def ending(system_actor):
    return services.sunset(actor=system_actor, offering=offering("surveys"),
                           end_date=in_days(20))


@pytest.mark.parametrize("lang, name, ends", [
    ("en", "Surveys", "Ends on"), ("zh-hans", "问卷调查", "停止服务")])
def test_the_services_page_lists_each_service_its_handler_and_end_date(
        ending, client, lang, name, ends):
    html = client.get("/sites/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert name in html and ends in html
    assert ending.end_date.isoformat() in html
    assert "privacyconsultant@open-ecu.com" in html
    assert "surveys" not in html.replace("Surveys", "")  # no internal code shown


def test_the_public_api_lists_services_and_handlers(ending, client):
    sites = client.get("/api/v1/sites/public").json()
    surveys = next(s for s in sites[0]["services"] if s["function"] == "surveys")
    assert surveys["status"] == "sunsetting" and surveys["end_date"] == str(ending.end_date)
    assert surveys["handler"]["contact"] == "privacyconsultant@open-ecu.com"


def _staff_client(staff, *codenames):
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="sites",
                                                          codename__in=codenames))
    client = Client(enforce_csrf_checks=False)
    client.force_login(staff)
    return client


def test_r_6_6_the_staff_api_refuses_an_end_date_10_days_ahead(staff):
    client = _staff_client(staff, "view_offering", "change_offering")
    item = offering("nearby_service")
    response = client.post(f"/api/v1/sites/services/{item.pk}/sunset",
                           {"end_date": str(in_days(10))}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "END_DATE_TOO_EARLY"
    ok = client.post(f"/api/v1/sites/services/{item.pk}/sunset",
                     {"end_date": str(in_days(16))}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "sunsetting"
    listed = client.get("/api/v1/sites/services?status=sunsetting").json()
    assert [row["function"] for row in listed] == ["nearby_service"]


def test_the_staff_api_needs_the_permission(staff, client):
    assert client.get("/api/v1/sites/services").status_code == 401
    assert _staff_client(staff).get("/api/v1/sites/services").status_code == 403


def test_the_console_sunsets_through_the_service_and_shows_the_report(staff):
    staff.is_superuser = True
    staff.save()
    client = _staff_client(staff)
    item = offering("surveys")
    response = client.post("/admin/sites/offering/", {
        "action": "sunset", "_selected_action": [item.pk], "end_date": str(in_days(5))},
        follow=True)
    assert "at least 15 days" in response.content.decode()
    client.post("/admin/sites/offering/", {
        "action": "sunset", "_selected_action": [item.pk], "end_date": str(in_days(20))})
    item.refresh_from_db()
    assert item.status == "sunsetting" and item.campaign
    item.report = {"deleted": {"leads.requests": 3}}
    item.save(update_fields=["report"])
    page = client.get(f"/admin/sites/offering/{item.pk}/change/")
    assert page.status_code == 200 and "leads.requests" in page.content.decode()
