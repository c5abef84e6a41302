"""The console side of file exports: the "Export to CSV" action and the export list."""

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.response import TemplateResponse
from django.test import RequestFactory

from piwarden.accounts.models import Account
from piwarden.exports.admin import FileExportAdmin, export_csv_action
from piwarden.exports.models import FileExport, Status

pytestmark = pytest.mark.django_db


def _post(user, data):
    request = RequestFactory().post("/admin/", data)
    request.user, request.session = user, {}
    request._messages = FallbackStorage(request)
    return request


def _messages(request):
    return [str(m) for m in request._messages]


def test_v_5_1a_console_export_asks_a_reason_then_downloads_a_watermarked_file(
        accounts, staff):
    model_admin = admin.ModelAdmin(Account, admin.site)
    action = export_csv_action(["user_name"])
    alice = staff("alice")
    rows = Account.objects.filter(pk__in=[a.pk for a in accounts])
    page = action(model_admin, _post(alice, {"action": "export_csv"}), rows)
    assert isinstance(page, TemplateResponse)
    page.render()
    assert b'name="reason"' in page.content
    response = action(model_admin, _post(alice, {"apply": "1", "reason": "Quarterly check"}),
                      rows)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"
    assert b"requested by alice" in response.content.splitlines()[0]


def test_v_5_1a_console_export_of_l4_waits_then_officers_approve_in_the_list(
        accounts, staff):
    model_admin = admin.ModelAdmin(Account, admin.site)
    action = export_csv_action(["user_name", "id_type"])
    alice, po1, po2 = staff("alice"), staff("po1", officer=True), staff("po2", officer=True)
    request = _post(alice, {"apply": "1", "reason": "Regulator asked"})
    assert action(model_admin, request, Account.objects.all()) is None
    assert "waits for a privacy officer's approval" in _messages(request)[0]
    export = FileExport.objects.get()
    exports_admin = FileExportAdmin(FileExport, admin.site)
    for officer in (po1, po2):
        exports_admin.approve_selected(_post(officer, {}), FileExport.objects.all())
    export.refresh_from_db()
    assert export.status == Status.APPROVED
    response = exports_admin.download_selected(_post(alice, {}), FileExport.objects.all())
    assert response.content.splitlines()[-1].endswith(f"export {export.pk} / alice".encode())


def test_the_export_list_shows_others_requests_to_privacy_officers_only(accounts, staff):
    alice, bob, officer = staff("alice"), staff("bob"), staff("po", officer=True)
    model_admin = admin.ModelAdmin(Account, admin.site)
    export_csv_action(["id_type"])(model_admin, _post(alice, {"apply": "1", "reason": "r"}),
                                   Account.objects.all())
    exports_admin = FileExportAdmin(FileExport, admin.site)
    assert exports_admin.get_queryset(_post(bob, {})).count() == 0
    assert exports_admin.get_queryset(_post(alice, {})).count() == 1
    assert exports_admin.get_queryset(_post(officer, {})).count() == 1
