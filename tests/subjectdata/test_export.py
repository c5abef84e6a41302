"""Access and portability exports: one encrypted ZIP with every registered source."""

import csv
import datetime
import io
import json
import uuid
import zipfile

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.subjectdata import archive as files
from piwarden.subjectdata import services
from piwarden.subjectdata.models import ArchiveStatus, ExportArchive
from piwarden.subjects import registry

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def _export(account, lang="en"):
    archive = services.start_export(actor=STAFF, subject=account.subject, lang=lang,
                                    request_ref=str(uuid.uuid4()))
    return services.build_export(archive_id=archive.pk)


def _zip(archive) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(files.read_decrypted(archive)))


def test_export_holds_every_registered_source_with_pi_decrypted(person):
    """data.json has one entry per registered source, and the vault values in clear text."""
    archive = _export(person)
    assert archive.status == ArchiveStatus.READY
    assert archive.expires_at - archive.ready_at == datetime.timedelta(days=7)
    document = json.loads(_zip(archive).read("data.json"))
    assert set(document["sources"]) == {s.name for s in registry.sources()}
    assert set(archive.sources) == {s.name for s in registry.sources()}
    values = {row["field"]: row["value"] for row in document["sources"]["vault.values"]["values"]}
    assert values["phone"] == person.test_phone
    assert values["email"] == person.test_email
    assert values["name"] == person.test_name
    accounts = document["sources"]["accounts.account"]
    assert accounts["account"][0]["user_name"].startswith("dragon")
    assert [t["name"] for t in accounts["tokens"]] == ["my laptop"]
    consent = document["sources"]["consent.ledger"]
    assert [e["choice"] for e in consent["events"]] == ["grant", "withdraw"]
    assert consent["notices"][0]["text"].startswith("We send you offers")
    entries = document["sources"]["audit.trail"]["entries"]
    assert any(e["action"] == "account.created" for e in entries)


def test_export_holds_no_secret(person):
    """Digests, token prefixes and the TOTP secret never appear in an export."""
    from piwarden.accounts.models import AccessToken

    token = AccessToken.objects.get(account=person)
    raw = b"".join(_zip(_export(person)).read(n) for n in _zip(_export(person)).namelist())
    assert token.digest.encode() not in raw and token.prefix.encode() not in raw
    assert person.user.password.encode() not in raw


def test_export_holds_nothing_of_another_subject(person, other):
    """Neither the other person's values nor their subject id are in the ZIP."""
    from tests.subjectdata.test_report import _pdf_strings

    archive = _export(person)
    zf = _zip(archive)
    everything = b"".join(zf.read(name) for name in zf.namelist()
                          if not name.endswith(".pdf")).decode("utf-8")
    pdf = _pdf_strings(zf.read("report.pdf"))
    for value in (other.test_phone, other.test_email, other.test_name, str(other.subject_id)):
        assert value not in everything
        assert value.encode("utf-16-be") not in pdf and value.encode() not in pdf
    assert person.test_phone in everything
    assert person.test_phone.encode() in pdf


def test_zip_has_readme_report_and_one_csv_per_table(person):
    archive = _export(person)
    zf = _zip(archive)
    names = set(zf.namelist())
    assert {"README.txt", "data.json", "report.html"} <= names
    document = json.loads(zf.read("data.json"))
    expected = {f"csv/{source}.{table}.csv" for source, tables in document["sources"].items()
                for table in tables}
    assert expected == {n for n in names if n.startswith("csv/")}
    rows = list(csv.DictReader(io.StringIO(
        zf.read("csv/vault.values.values.csv").decode("utf-8-sig"))))
    assert {r["field"]: r["value"] for r in rows}["email"] == person.test_email
    report = zf.read("report.html").decode()
    assert person.test_email in report and "Your personal data" in report
    readme = zf.read("README.txt").decode()
    assert "data.json" in readme and "csv/vault.values.values.csv" in readme


def test_chinese_report(person):
    """lang zh-hans renders the report and README in Simplified Chinese."""
    zf = _zip(_export(person, lang="zh-hans"))
    assert "您的个人信息" in zf.read("report.html").decode()
    assert "您的个人信息副本" in zf.read("README.txt").decode()


def test_file_is_encrypted_at_rest_and_bound_to_its_archive(person, other):
    """The stored file shows no PI, and another archive's key does not open it."""
    first, second = _export(person), _export(other)
    stored = files.file_path(first.pk).read_bytes()
    assert person.test_email.encode() not in stored and b"data.json" not in stored
    files.file_path(second.pk).write_bytes(stored)
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        files.read_decrypted(second)


def test_build_is_idempotent_and_audited(person):
    archive = _export(person)
    again = services.build_export(archive_id=archive.pk)
    assert again.ready_at == archive.ready_at
    actions = list(AuditEvent.objects.filter(subject=person.subject,
                                             action__startswith="subjectdata.")
                   .values_list("action", flat=True))
    assert actions == ["subjectdata.export_started", "subjectdata.export_built"]


def test_a_failing_source_marks_the_archive_failed(person, monkeypatch):
    """A source that raises fails the build (audited, no file left) instead of a half ZIP."""
    def broken(subject):
        raise RuntimeError("boom")

    monkeypatch.setitem(registry._sources, "zz.broken", registry.Source(
        name="zz.broken", models=(), categories=("user",), export=broken,
        erase=lambda **kw: registry.Erased()))
    archive = services.start_export(actor=STAFF, subject=person.subject)
    with pytest.raises(RuntimeError):
        services.build_export(archive_id=archive.pk)
    archive.refresh_from_db()
    assert archive.status == ArchiveStatus.FAILED
    assert not files.file_path(archive.pk).exists()
    assert AuditEvent.objects.filter(action="subjectdata.export_failed",
                                     subject=person.subject).exists()


def test_expired_exports_are_deleted(person):
    archive = _export(person)
    assert services.expire_exports(actor=STAFF) == 0
    later = timezone.now() + datetime.timedelta(days=8)
    assert services.expire_exports(actor=STAFF, now=later) == 1
    archive.refresh_from_db()
    assert archive.status == ArchiveStatus.EXPIRED and archive.wrapped_key is None
    # the file goes on commit: here the test transaction never commits, so run the sweep
    services.expire_exports(actor=STAFF, now=later)
    assert not files.file_path(archive.pk).exists()


def test_the_hourly_retention_run_expires_exports(person):
    from piwarden.collection import retention

    archive = _export(person)
    ExportArchive.objects.filter(pk=archive.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert retention.run(actor=STAFF)["subjectdata.exports"] == 1
    archive.refresh_from_db()
    assert archive.status == ArchiveStatus.EXPIRED


def test_start_export_enqueues_and_calls_back(person, settings, django_capture_on_commit_callbacks):
    """Through the task backend: the archive becomes ready and on_done hears of it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    heard = []
    ref = str(uuid.uuid4())  # what rights passes: a request id (its callback looks it up)

    def hear(kind, obj):
        heard.append((kind, obj.request_ref, obj.status))

    services.on_done(hear)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            archive = services.start_export(actor=STAFF, subject=person.subject,
                                            request_ref=ref)
        assert ExportArchive.objects.get(pk=archive.pk).status == ArchiveStatus.READY
        assert ("export", ref, ArchiveStatus.READY) in heard
    finally:
        services._callbacks.remove(hear)


def test_sensitive_values_are_exported_under_the_legal_obligation(person):
    """An ID number (sensitive PI) is revealed for the copy without any separate consent."""
    from piwarden.vault import services as vault

    vault.put(actor=Actor.person(person.subject), subject=person.subject, field="id_number",
              value="11010519491231002X", purpose="service.provision")
    document = json.loads(_zip(_export(person)).read("data.json"))
    values = {r["field"]: r["value"] for r in document["sources"]["vault.values"]["values"]}
    assert values["id_number"] == "11010519491231002X"
    assert AuditEvent.objects.filter(action="vault.value_revealed", subject=person.subject,
                                     purpose="rights.requests").exists()


def test_staff_console_lists_archives_and_runs_read_only(person, admin_client):
    archive = _export(person)
    run = services.start_erasure(actor=STAFF, subject=person.subject, categories=["user.name"],
                                 reason="correction")
    run = services.run_erasure(run_id=run.pk)
    assert admin_client.get("/admin/subjectdata/exportarchive/").status_code == 200
    page = admin_client.get(f"/admin/subjectdata/exportarchive/{archive.pk}/change/")
    assert page.status_code == 200 and person.test_email not in page.content.decode()
    page = admin_client.get(f"/admin/subjectdata/erasurerun/{run.pk}/change/")
    assert page.status_code == 200 and "vault_key_destroyed" in page.content.decode()
    assert admin_client.get("/admin/subjectdata/erasurerun/add/").status_code == 403
