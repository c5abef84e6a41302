"""The staff console: list and detail in both languages, each step with its permission, the
download link shown once, downloads listed."""

import pytest
from django.test import Client

from piwarden.authorities.models import AuthorityRequest, State
from piwarden.roles import registry
from tests.roles.factories import grant_role
from tests.staff import staff_client

from .conftest import PDF

pytestmark = pytest.mark.django_db
ADMIN = "/admin/authorities/authorityrequest"
ALL = ("view_authorityrequest", "add_authorityrequest", "change_authorityrequest",
       "review_authorityrequest", "approve_authorityrequest", "deliver_authorityrequest",
       "open_document")


@pytest.fixture
def console(system_actor):
    made = {name: staff_client("authorities", *ALL, name=f"console_{name}")
            for name in ("clerk", "lawyer", "approver1", "approver2")}
    grant_role(made["lawyer"].user, registry.LEGAL, actor=system_actor)
    return made


def test_s_4_3_2_a_request_runs_through_the_console(flows, console, person_with):
    from django.core.files.uploadedfile import SimpleUploadedFile

    person = person_with(name="王小明")
    page = console["clerk"].get(f"{ADMIN}/add/")
    assert page.status_code == 200 and b"company" not in page.content.lower()
    assert b"exception.criminal_justice" in page.content
    added = console["clerk"].post(f"{ADMIN}/add/", {
        "organ_name": "杭州市西湖区人民检察院", "organ_country": "CN",
        "organ_kind": "procuratorate", "document_reference": "杭西检 2026-9",
        "legal_basis": "exception.criminal_justice", "activity": "",
        "people": str(person.pk), "asked_categories": ["user.name"],
        "document_file": SimpleUploadedFile("order.pdf", PDF)})
    assert added.status_code == 302, added.content.decode()[-2000:]
    request = AuthorityRequest.objects.get()
    assert request.document_sha256 and request.state == State.RECEIVED
    detail = console["clerk"].get(f"{ADMIN}/{request.pk}/change/")
    assert "Provision to an authority".lower() in detail.content.decode().lower()
    assert "public disclosure" not in detail.content.decode().lower()
    step = f"{ADMIN}/{request.pk}/step"
    assert console["lawyer"].post(f"{step}/review/", {
        "people": str(person.pk), "categories": ["user.name"],
        "notes": "Name only."}).status_code == 302
    refused = console["clerk"].post(f"{step}/approve/", {})
    assert refused.status_code == 200 and "cannot approve" in refused.content.decode()
    for approver in ("approver1", "approver2"):
        assert console[approver].post(f"{step}/approve/", {}).status_code == 302
    delivered = console["approver1"].post(f"{step}/deliver/", {})
    assert delivered.status_code == 200
    link = delivered.content.decode().split('id="provision-link">')[1].split("<")[0]
    assert Client().get(link[link.index("/api/"):]).status_code == 200
    detail = console["clerk"].get(f"{ADMIN}/{request.pk}/change/").content.decode()
    assert "Delivered" in detail and "IP " in detail and link not in detail
    opened = console["lawyer"].get(f"{ADMIN}/{request.pk}/document/")
    assert opened.content == PDF


def test_s_4_1_1b_the_console_refuses_a_step_without_its_permission(
        flows, approved, person_with):
    request = approved([person_with(name="李四")])
    viewer = staff_client("authorities", "view_authorityrequest", name="viewer")
    assert viewer.get(f"{ADMIN}/{request.pk}/change/").status_code == 200
    for step in ("deliver", "approve", "review", "upload"):
        assert viewer.post(f"{ADMIN}/{request.pk}/step/{step}/", {}).status_code == 403
    assert viewer.get(f"{ADMIN}/{request.pk}/document/").status_code == 403
    request.refresh_from_db()
    assert request.state == State.APPROVED


def test_the_console_speaks_chinese(flows, approved, person_with):
    request = approved([person_with(name="赵五")])
    viewer = staff_client("authorities", "view_authorityrequest", name="viewer_zh")
    viewer.cookies["django_language"] = "zh-hans"
    page = viewer.get(f"{ADMIN}/{request.pk}/change/").content.decode()
    assert "向国家机关提供" in page and "已批准" in page
