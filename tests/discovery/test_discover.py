"""`piwarden discover` (issue 18, V-5.1a, Z-8): PI planted where nobody declared it is found in
the database, in files and in logs, reported by place, type and count (never the value), and
fails `piwarden check --deploy` until every finding is marked fixed or a false positive."""

import contextlib
import io
import json
import os
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from piwarden.accounts.models import ThrottleEvent
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.catalog import labels
from piwarden.discovery import checks, selectors, services, sources
from piwarden.discovery.models import Declaration, Finding, FindingStatus, LocationKind

pytestmark = pytest.mark.django_db
RESIDENT_ID = "110101199003077571"  # valid check digit (…7578 fails GB 11643)
MOBILE = "13912345678"
ACTOR = Actor.system("tests")
TABLE = "hand_made_notes"


@pytest.fixture
def data_dir(settings, tmp_path):
    """An own data directory with its log folder; the declared stores inside it."""
    settings.DATA_DIR = tmp_path
    settings.PIWARDEN_LOG_DIR = tmp_path / "logs"
    settings.PIWARDEN_LOG_FILES = []
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    settings.PIWARDEN_EXPORT_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "logs").mkdir()
    return tmp_path


def _hand_made_table(rows):
    """A table an engineer created by hand, outside the ORM and the column map."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, note varchar(200))")
        for number, note in enumerate(rows, start=1):
            cursor.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)",
                           [number, note])


def _run(*only, sample=services.DEFAULT_SAMPLE):
    return services.run_discover(actor=ACTOR, sources=only or services.SOURCES, sample=sample)


def _at(report, location):
    return [(f.type, f.count) for f in report.findings.filter(location=location)]


def _values_absent(report, *values):
    """No finding, report field or audit record holds a value."""
    stored = json.dumps([list(Finding.objects.filter(report=report).values()),
                         list(type(report).objects.filter(pk=report.pk).values()),
                         list(AuditEvent.objects.filter(action__startswith="discovery.")
                              .values("detail", "categories"))], default=str)
    for value in values:
        assert value not in stored


def test_v_5_1a_discover_finds_a_planted_id_in_a_hand_made_table():
    _hand_made_table(["nothing here", f"请回电，身份证{RESIDENT_ID}已上传", "call 9 to 5"])
    report = _run("database")
    [finding] = report.findings.filter(location=f"{TABLE}.note")
    assert (finding.kind, finding.type, finding.category, finding.count) == (
        LocationKind.COLUMN, "cn_resident_id", "user.id_info", 1)
    assert (finding.declaration, finding.status) == (Declaration.UNDECLARED, FindingStatus.OPEN)
    assert report.tables_scanned > 50 and report.rows_scanned >= 3
    _values_absent(report, RESIDENT_ID)
    [event] = AuditEvent.objects.filter(action="discovery.report_made")
    assert event.detail["types"]["cn_resident_id"] == 1 and event.purpose == "security"


def test_v_5_1a_a_declared_column_is_checked_against_its_category():
    """``accounts.ThrottleEvent.key`` is declared an IP address: an IP there is fine, an ID
    number is not; ``scope`` is declared as holding no PI, so a mobile number there is found."""
    ThrottleEvent.objects.create(scope="login", key="58.30.1.12", created_at=timezone.now())
    ThrottleEvent.objects.create(scope="login", key=RESIDENT_ID, created_at=timezone.now())
    ThrottleEvent.objects.create(scope=MOBILE, key="x", created_at=timezone.now())
    report = _run("database")
    table = ThrottleEvent._meta.db_table
    [key] = report.findings.filter(location=f"{table}.key")
    assert (key.type, key.declaration, key.declared_category) == (
        "cn_resident_id", Declaration.OTHER, "user.log.ip_address")
    [scope] = report.findings.filter(location=f"{table}.scope")
    assert (scope.type, scope.declaration, scope.declared_category) == (
        "cn_mobile", Declaration.NO_PI, "")


def test_the_coverage_rule():
    assert sources.covers("user.id_info", "user.id_info")
    assert sources.covers("user", "user.contact.phone")  # a parent covers its children
    assert sources.covers("business.customer_contact", "user.contact.email")
    assert not sources.covers("user.contact.other", "user.id_info")
    assert not sources.covers("user.contact", "user.id_info")
    assert not sources.covers(None, "user.contact.email")


def test_v_5_1a_large_tables_are_sampled_from_both_ends():
    """With ``sample=4``, rows 1-2 and 9-10 of ten are read: the newest row's ID is found,
    the one in the middle is not."""
    rows = ["plain"] * 10
    rows[4] = f"id {RESIDENT_ID}"
    rows[9] = f"手机{MOBILE}"
    _hand_made_table(rows)
    report = _run("database", sample=4)
    assert _at(report, f"{TABLE}.note") == [("cn_mobile", 1)]
    assert report.sample == 4


def test_v_5_1a_discover_finds_a_planted_id_in_a_log_file(data_dir):
    (data_dir / "logs" / "web.log").write_text(
        "2026-12-05 10:00:00 INFO started\n"
        f"2026-12-05 10:00:01 WARNING lookup failed for {RESIDENT_ID}\n"
        "2026-12-05 10:00:02 INFO GET /status 200\n", encoding="utf-8")
    report = _run("logs")
    [finding] = report.findings.all()
    assert (finding.kind, finding.location, finding.type, finding.count) == (
        LocationKind.LOG, "logs/web.log:2", "cn_resident_id", 1)
    assert (report.files_scanned, report.lines_scanned) == (1, 3)
    _values_absent(report, RESIDENT_ID)


def test_v_5_1a_a_log_outside_the_data_directory(data_dir, settings, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("var-log") / "nginx.log"
    elsewhere.write_text(f"x\nuser {MOBILE}\n", encoding="utf-8")
    settings.PIWARDEN_LOG_FILES = [str(elsewhere)]
    report = _run("logs")
    assert _at(report, f"{elsewhere.resolve()}:2") == [("cn_mobile", 1)]


def test_v_5_1a_files_text_only_outside_the_declared_stores(data_dir):
    (data_dir / "notes").mkdir()
    (data_dir / "notes" / "call.txt").write_text(f"a\nb\n请回电 {MOBILE}\n", encoding="utf-8")
    (data_dir / "scan.bin").write_bytes(b"\x00\x01" + RESIDENT_ID.encode() + b"\x00")
    (data_dir / "sms.jsonl").write_text(json.dumps({"to": MOBILE}) + "\n", encoding="utf-8")
    (data_dir / "exports").mkdir()
    (data_dir / "exports" / "a.json").write_text(RESIDENT_ID, encoding="utf-8")
    (data_dir / f"{MOBILE}.txt").write_text("nothing inside\n", encoding="utf-8")
    report = _run("files")
    found = sorted((f.location, f.type, f.count) for f in report.findings.all())
    assert found == [("[REDACTED].txt", "cn_mobile", 1), ("notes/call.txt:3", "cn_mobile", 1)]
    assert "sms.jsonl" in report.skipped and "exports" in report.skipped
    _values_absent(report, MOBILE, RESIDENT_ID)


def test_one_finding_per_file_and_type_naming_its_first_lines(data_dir, monkeypatch):
    monkeypatch.setattr(sources, "LINE_PLACES", 2)
    (data_dir / "logs" / "app.log").write_text(f"{MOBILE}\n" * 5 + f"{RESIDENT_ID}\n",
                                               encoding="utf-8")
    report = _run("logs")
    assert sorted((f.location, f.type, f.count) for f in report.findings.all()) == [
        ("logs/app.log:1,2,…", "cn_mobile", 5), ("logs/app.log:6", "cn_resident_id", 1)]


def test_the_handlers_published_contact_and_public_categories_are_not_findings():
    from piwarden.catalog.selectors import latest_release

    contact = latest_release().handler["contact"]
    _hand_made_table([f"write to {contact}", "USCC 91350100M000100Y43"])
    report = _run("database")
    assert _at(report, f"{TABLE}.note") == []


def test_z_8_open_findings_fail_the_deploy_check_until_each_is_handled(data_dir):
    assert [m.id for m in checks.no_open_discovery_findings(None)] == ["piwarden.W180"]
    _hand_made_table([f"身份证{RESIDENT_ID}"])
    (data_dir / "logs" / "web.log").write_text(f"id={RESIDENT_ID}\n", encoding="utf-8")
    report = _run()
    with pytest.raises(CommandError) as failed:
        call_command("check", deploy=True, fail_level="ERROR")
    assert "piwarden.E180" in str(failed.value) and f"{TABLE}.note" in str(failed.value)
    assert RESIDENT_ID not in str(failed.value)
    column = report.findings.get(location=f"{TABLE}.note")
    log = report.findings.get(location="logs/web.log:1")
    with transaction.atomic():
        services.set_status(actor=ACTOR, finding=column, status=FindingStatus.FIXED)
        services.set_status(actor=ACTOR, finding=log, status=FindingStatus.FALSE_POSITIVE)
        for other in selectors.open_findings():  # whatever else the test database holds
            services.set_status(actor=ACTOR, finding=other, status=FindingStatus.FALSE_POSITIVE)
    assert checks.no_open_discovery_findings(None) == []
    call_command("check", deploy=True, fail_level="ERROR")
    assert AuditEvent.objects.filter(action="discovery.finding_status_changed").count() >= 2


def test_z_8_a_false_positive_stays_accepted_and_a_fixed_finding_found_again_reopens(
        data_dir, django_user_model):
    (data_dir / "logs" / "web.log").write_text(f"{MOBILE}\n{RESIDENT_ID}\n", encoding="utf-8")
    first = _run("logs")
    owner = django_user_model.objects.create_user("officer", is_staff=True)
    with transaction.atomic():
        mobile = first.findings.get(type="cn_mobile")
        services.set_status(actor=ACTOR, finding=mobile, status=FindingStatus.FALSE_POSITIVE)
        services.assign(actor=ACTOR, finding=mobile, owner=owner)
        services.set_status(actor=ACTOR, finding=first.findings.get(type="cn_resident_id"),
                            status=FindingStatus.FIXED)
    second = _run("logs")
    assert {(f.type, f.status, f.owner_id) for f in second.findings.all()} == {
        ("cn_mobile", FindingStatus.FALSE_POSITIVE, owner.pk),
        ("cn_resident_id", FindingStatus.OPEN, None)}


def test_z_8_a_partial_run_keeps_the_other_sources_findings_in_the_gate(data_dir):
    _hand_made_table([f"身份证{RESIDENT_ID}"])
    _run("database")
    _run("logs")  # nothing in the logs
    assert f"{TABLE}.note" in {f.location for f in selectors.open_findings()}


def test_only_staff_own_findings(data_dir, django_user_model):
    (data_dir / "logs" / "web.log").write_text(f"{MOBILE}\n", encoding="utf-8")
    [finding] = _run("logs").findings.all()
    person = django_user_model.objects.create_user("someone")
    with pytest.raises(services.DiscoveryError), transaction.atomic():
        services.assign(actor=ACTOR, finding=finding, owner=person)


def test_unknown_sources_and_samples_are_refused():
    with pytest.raises(services.DiscoveryError):
        _run("mailboxes")
    with pytest.raises(services.DiscoveryError):
        _run("database", sample=0)


# --- The command ------------------------------------------------------------------------------

def test_v_5_1a_the_command_prints_places_and_counts_never_values(data_dir, capsys):
    _hand_made_table([f"身份证{RESIDENT_ID}", f"手机 {MOBILE}"])
    call_command("discover", "--only", "database")
    out = capsys.readouterr().out
    assert f"{TABLE}.note" in out and "PRC resident ID number" in out and "Open" in out
    assert "finding(s)" in out.splitlines()[-1]
    assert RESIDENT_ID not in out and MOBILE not in out


def test_the_command_json_sample_and_sources(data_dir, capsys):
    (data_dir / "logs" / "web.log").write_text(f"{MOBILE}\n", encoding="utf-8")
    call_command("discover", "--only", "logs", "--only", "files", "--sample", "5", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["sources"] == ["files", "logs"] and printed["sample"] == 5
    assert printed["findings"] == [{
        "id": printed["findings"][0]["id"], "kind": "log", "location": "logs/web.log:1",
        "type": "cn_mobile", "category": "user.contact.phone", "declaration": "undeclared",
        "declared_category": None, "count": 1, "status": "open", "owner": None}]
    assert printed["scanned"]["lines"] == 1


def test_the_command_names_categories_in_words_and_lists_files_it_could_not_read(data_dir,
                                                                                capsys):
    (data_dir / "logs" / "web.log").write_text(f"{MOBILE}\n", encoding="utf-8")
    (data_dir / "blob.dat").write_bytes(b"\x80\x80\xff" * 10)
    call_command("discover", "--only", "logs", "--only", "files")
    out = capsys.readouterr().out
    phone = labels.category("user.contact.phone", "en")
    assert phone != "user.contact.phone" and phone in out and "user.contact" not in out
    assert "not read: blob.dat (not text in UTF-8, UTF-16 or GB18030)" in out.splitlines()


def test_the_command_names_the_staff_member_who_ran_it(data_dir, django_user_model):
    user = django_user_model.objects.create_user("officer", is_staff=True)
    call_command("discover", "--only", "logs", "--user", "officer", stdout=io.StringIO())
    assert selectors.latest_reports()["logs"].ran_by == f"staff:{user.pk}"
    with pytest.raises(CommandError):
        call_command("discover", "--only", "logs", "--user", "nobody")
    with pytest.raises(CommandError):
        call_command("discover", "--only", "mailboxes")


# --- Review of issue 18: thin runs, log tails, fingerprints, encodings, pipes -----------------

def _check_ids():
    return [message.id for message in checks.no_open_discovery_findings(None)]


def test_v_5_1a_a_thin_run_does_not_clear_what_a_full_run_found(data_dir):
    """A planted ID in row 3 of 10: the full run finds it; ``sample=1`` reads row 1 only and
    must not clear it. What a thin run finds (row 10) is added to the gate."""
    rows = ["plain"] * 10
    rows[2] = f"身份证{RESIDENT_ID}"
    _hand_made_table(rows)
    full = _run("database")
    [planted] = full.findings.filter(location=f"{TABLE}.note")
    thin = _run("database", sample=1)
    assert _at(thin, f"{TABLE}.note") == []
    assert planted in selectors.open_findings()
    assert "piwarden.E180" in _check_ids()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET note = %s WHERE id = 3", ["gone"])
        cursor.execute(f"UPDATE {TABLE} SET note = %s WHERE id = 10", [f"手机{MOBILE}"])
    added = _run("database", sample=2)
    [new] = added.findings.filter(location=f"{TABLE}.note")
    assert new.type == "cn_mobile"
    gated = set(selectors.open_findings())
    assert {planted, new} <= gated
    again = _run("database")  # a full run that no longer finds the ID clears it
    gated = {(f.location, f.type) for f in selectors.open_findings()}
    assert (f"{TABLE}.note", "cn_resident_id") not in gated
    assert (f"{TABLE}.note", "cn_mobile") in gated
    assert selectors.gate_reports()[0]["database"] == again


def test_z_8_a_thin_run_finding_again_carries_the_full_runs_status(data_dir):
    _hand_made_table([f"身份证{RESIDENT_ID}"])
    [finding] = _run("database").findings.filter(location=f"{TABLE}.note")
    with transaction.atomic():
        services.set_status(actor=ACTOR, finding=finding, status=FindingStatus.FALSE_POSITIVE)
    [again] = _run("database", sample=1).findings.filter(location=f"{TABLE}.note")
    assert again.status == FindingStatus.FALSE_POSITIVE
    assert f"{TABLE}.note" not in {f.location for f in selectors.open_findings()}


def test_z_8_an_old_or_missing_full_report_is_a_warning(data_dir, settings):
    from piwarden.discovery.models import Report

    _run("database", sample=1)
    assert _check_ids().count("piwarden.W181") == 3  # no full run of any source
    _run()
    assert "piwarden.W181" not in _check_ids()
    Report.objects.update(started_at=timezone.now() - timedelta(days=31))
    assert _check_ids().count("piwarden.W181") == 3
    settings.PIWARDEN_DISCOVERY_MAX_AGE_DAYS = 60
    assert "piwarden.W181" not in _check_ids()


def test_v_5_1a_a_log_is_read_from_its_end_with_line_numbers_from_its_start(
        data_dir, monkeypatch):
    monkeypatch.setattr(sources, "LOG_BYTES", 400)
    lines = [f"old {RESIDENT_ID}"] + [f"2026-12-05 10:00:{n:02d} INFO ok" for n in range(60)]
    lines.append(f"2026-12-05 10:01:00 WARNING call {MOBILE}")
    (data_dir / "logs" / "web.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _run("logs")
    assert [(f.location, f.type) for f in report.findings.all()] == [
        ("logs/web.log:62", "cn_mobile")]
    assert 0 < report.lines_scanned < len(lines)
    assert report.lines_scanned == sum(1 for _ in _tail_lines(data_dir / "logs" / "web.log",
                                                               400))


def _tail_lines(path, limit):
    data = path.read_bytes()
    tail = data[len(data) - limit:]
    if data[len(data) - limit - 1:len(data) - limit] != b"\n":
        tail = tail[tail.index(b"\n") + 1:]
    return tail.splitlines()


def test_v_5_1a_a_log_tail_starting_on_a_line_start_keeps_that_line(data_dir, monkeypatch):
    text = f"aaaa\n{MOBILE}\n"
    monkeypatch.setattr(sources, "LOG_BYTES", len(MOBILE) + 1)
    (data_dir / "logs" / "web.log").write_text(text, encoding="utf-8")
    report = _run("logs")
    assert _at(report, "logs/web.log:2") == [("cn_mobile", 1)]
    assert report.lines_scanned == 1


def test_z_8_an_accepted_false_positive_follows_its_file_not_its_line(data_dir):
    log = data_dir / "logs" / "web.log"
    log.write_text(f"start\nsupport line {MOBILE}\n", encoding="utf-8")
    [first] = _run("logs").findings.all()
    assert first.location == "logs/web.log:2"
    with transaction.atomic():
        services.set_status(actor=ACTOR, finding=first, status=FindingStatus.FALSE_POSITIVE)
    log.write_text(f"{RESIDENT_ID}\nx\ny\nsupport line {MOBILE}\n", encoding="utf-8")
    second = _run("logs")
    assert {(f.location, f.type, f.status) for f in second.findings.all()} == {
        ("logs/web.log:4", "cn_mobile", FindingStatus.FALSE_POSITIVE),
        ("logs/web.log:1", "cn_resident_id", FindingStatus.OPEN)}
    assert not selectors.open_findings().filter(type="cn_mobile").exists()


def test_v_5_1a_gb18030_and_utf16_files_are_read_and_unreadable_ones_listed(data_dir):
    (data_dir / "gbk.csv").write_bytes(f"姓名,手机\n张三,{MOBILE}\n".encode("gb18030"))
    (data_dir / "excel.csv").write_bytes(f"姓名\t身份证\n张三\t{RESIDENT_ID}\n"
                                         .encode("utf-16"))
    (data_dir / "bom.txt").write_bytes(f"\ufeff手机{MOBILE}\n".encode())
    (data_dir / "blob.dat").write_bytes(b"\x80\x80\xff" * 10 + RESIDENT_ID.encode())
    (data_dir / "scan.bin").write_bytes(b"\x00\x01" + RESIDENT_ID.encode())
    report = _run("files")
    found = sorted((f.location, f.type) for f in report.findings.all())
    assert found == [("bom.txt:1", "cn_mobile"), ("excel.csv:2", "cn_resident_id"),
                     ("gbk.csv:2", "cn_mobile")]
    unread = {entry["place"]: entry["reason"] for entry in report.skipped
              if isinstance(entry, dict)}
    assert unread == {"blob.dat": sources.NOT_TEXT, "scan.bin": sources.NOT_TEXT}
    [event] = AuditEvent.objects.filter(action="discovery.report_made")
    assert event.detail["files_not_read"] == 2
    _values_absent(report, MOBILE, RESIDENT_ID)


def test_v_5_1a_a_utf16_log_is_read_from_its_end(data_dir, monkeypatch):
    monkeypatch.setattr(sources, "LOG_BYTES", 120)
    lines = [f"old {RESIDENT_ID}"] + ["ok"] * 40 + [f"call {MOBILE}"]
    (data_dir / "logs" / "w.log").write_bytes(("\n".join(lines) + "\n").encode("utf-16"))
    report = _run("logs")
    assert [(f.location, f.type) for f in report.findings.all()] == [
        ("logs/w.log:42", "cn_mobile")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_z_8_a_named_pipe_does_not_hang_discover(data_dir):
    os.mkfifo(data_dir / "pipe")
    os.mkfifo(data_dir / "logs" / "pipe.log")
    (data_dir / "note.txt").write_text(f"{MOBILE}\n", encoding="utf-8")
    detector, tally, hits = sources.Detector(), sources.Tally(), []

    def scan():
        hits.extend(sources.scan_files(tally, detector))
        hits.extend(sources.scan_logs(tally, detector))

    worker = threading.Thread(target=scan, daemon=True)
    worker.start()
    worker.join(10)
    try:
        assert not worker.is_alive(), "discover blocked on a named pipe"
    finally:
        for _attempt in range(20):  # release a blocked open, pipe by pipe
            if not worker.is_alive():
                break
            for pipe in (data_dir / "pipe", data_dir / "logs" / "pipe.log"):
                with contextlib.suppress(OSError):
                    os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            worker.join(0.5)
    assert [(hit.location, hit.type) for hit in hits] == [("note.txt:1", "cn_mobile")]
    assert {entry["place"]: entry["reason"] for entry in tally.skipped
            if isinstance(entry, dict)} == {"pipe": sources.NOT_REGULAR,
                                            "logs/pipe.log": sources.NOT_REGULAR}
