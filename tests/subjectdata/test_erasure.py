"""Erasure runs: one source per transaction, resumable, ending in crypto-shredding and a
certificate."""

import pytest
from django.utils import timezone

from piwarden.accounts import services as accounts
from piwarden.accounts.models import AccessToken, Account, AccountSession, ProfileChange
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.collection.models import Event
from piwarden.consent.decisions import decide
from piwarden.consent.models import (
    ConsentEvent,
    ConsentState,
    ErasureStatus,
    ScheduledErasure,
)
from piwarden.subjectdata import services
from piwarden.subjectdata.models import ErasureRun, RunStatus
from piwarden.subjects import registry
from piwarden.subjects.models import Subject, SubjectStatus
from piwarden.vault import envelope
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey, VaultValue

from .conftest import sign_up

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def _erase(account, categories=None):
    run = services.start_erasure(actor=STAFF, subject=account.subject, categories=categories,
                                 reason="deletion request")
    return services.run_erasure(run_id=run.pk)


def _identifying_rows(subject) -> dict[str, list]:
    """What each source still exports about the subject (tables with rows)."""
    return {name: {t: rows for t, rows in tables.items() if rows}
            for name, tables in services.collect(subject).items()}


def test_full_erasure_leaves_nothing_that_identifies_the_subject(person, other):
    """Every source is erased; only the records kept by law remain, and none holds PI."""
    subject = person.subject
    now = timezone.now()
    for n, (kind, activity) in enumerate([("page_view", "log.access"), ("device",
                                          "device.browser_info")] * 2 + [("page_view",
                                                                          "log.access")]):
        Event.objects.create(source="tests", event_id=f"{subject.pk}-{n}",
                             subject=subject if n < 4 else other.subject, kind=kind,
                             activity=activity, occurred_at=now, browser="Chrome",
                             ip="203.0.113.0/24", url="https://www.example.cn/orders")
    ciphertext = VaultValue.objects.get(subject=subject, field="phone")
    copy = (bytes(ciphertext.ciphertext), ciphertext.key_version)
    run = _erase(person)
    assert run.status == RunStatus.DONE and set(run.progress) == {
        s.name for s in registry.sources()}
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.ERASED
    assert not Account.objects.filter(subject=subject).exists()
    assert not Account.objects.filter(user_id=person.user_id).exists()
    assert not VaultValue.objects.filter(subject=subject).exists()
    assert not ConsentState.objects.filter(subject=subject).exists()
    assert not ConsentEvent.objects.filter(subject=subject).exclude(ip_prefix="").exists()
    assert not ConsentEvent.objects.filter(subject=subject).exclude(user_agent="").exists()
    left = _identifying_rows(subject)
    kept_sources = {k["source"] for k in run.certificate["kept"]}
    for source, tables in left.items():
        assert source in kept_sources or not tables, (source, list(tables))
    for source in registry.sources():  # every row of every source's models, directly
        for model in source.models:
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model is Subject:
                    rows = model.objects.filter(**{field.name: subject})
                    if model is DataKey:  # the shredded key's empty tombstone may stay
                        rows = rows.filter(shredded_at=None)
                    held = rows.count()
                    assert not held or source.name in kept_sources, (model, field.name, held)
    everything = str(left)
    for value in (person.test_phone, person.test_email, person.test_name, "203.0.113",
                  "TestBrowser", "dragon"):
        assert value not in everything
    # The old ciphertext cannot be decrypted any more: the data key is gone.
    key = DataKey.objects.get(subject=subject)
    assert key.shredded_at is not None and bytes(key.wrapped) == b""
    with pytest.raises(vault.SubjectShredded):
        envelope.open_value(data_key=key, field="phone", ciphertext=copy[0],
                            key_version=copy[1])
    # The other person is untouched.
    assert vault.reveal(actor=STAFF, subject=other.subject, field="phone",
                        purpose="rights.requests") == other.test_phone
    assert Account.objects.filter(pk=other.pk).exists()
    assert Event.objects.filter(subject=other.subject).count() == 1


def test_certificate_names_what_went_and_what_is_kept(person):
    run = _erase(person)
    cert = run.certificate
    assert cert["subject"] == str(person.subject_id) and cert["vault_key_destroyed"] is True
    assert {e["source"] for e in cert["erased"]} == {s.name for s in registry.sources()}
    erased = {e["source"]: e for e in cert["erased"]}
    assert erased["accounts.account"]["erased"] >= 3  # account, login, token, changes ...
    assert erased["vault.values"]["erased"] == 3  # phone, e-mail, name
    kept = {k["source"]: k for k in cert["kept"]}
    assert kept["consent.ledger"]["legal_basis"] == "legal_obligation"
    assert kept["consent.ledger"]["until"] is not None  # P3Y from the catalog
    assert kept["audit.trail"]["category"] == "user.log.usage"
    assert set(cert) >= {"subject", "completed_at", "erased", "kept", "vault_key_destroyed"}


def test_signing_up_again_gives_a_fresh_empty_account(person, settings,
                                                      django_capture_on_commit_callbacks):
    _erase(person)
    again = sign_up(settings, django_capture_on_commit_callbacks, person.test_phone,
                    person.test_email)
    assert again.subject_id != person.subject_id
    assert again.user_name == "" and not ProfileChange.objects.filter(
        account=again).exclude(field__in=["phone", "email"]).exists()
    assert not AccessToken.objects.filter(account=again).exists()
    assert not decide(again.subject_id, "marketing.email", ["user.contact.email"]).allowed


def test_sessions_end(person):
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["x"] = 1
    session.create()
    accounts.remember_session(account=person, session_key=session.session_key)
    _erase(person)
    assert not AccountSession.objects.filter(session_key=session.session_key).exists()
    assert not SessionStore().exists(session.session_key)


def test_erasure_cancels_scheduled_erasures(person):
    """The withdrawal's Art. 47 erasure becomes moot once everything is erased."""
    pending = ScheduledErasure.objects.filter(subject=person.subject,
                                              status=ErasureStatus.PENDING)
    assert pending.exists()
    _erase(person)
    assert not pending.exists()


def test_a_run_interrupted_inside_a_source_resumes_without_repeating(person, monkeypatch):
    """A source that raises rolls back alone; the rerun skips the finished sources."""
    calls = {"n": 0}

    def flaky(*, actor, subject, categories):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed")
        return registry.Erased(erased=1)

    monkeypatch.setitem(registry._sources, "m.flaky", registry.Source(
        name="m.flaky", models=(), categories=("user",), export=lambda s: {},
        erase=flaky))
    run = services.start_erasure(actor=STAFF, subject=person.subject, categories=None,
                                 reason="deletion request")
    with pytest.raises(RuntimeError):
        services.run_erasure(run_id=run.pk)
    run.refresh_from_db()
    done_before = set(run.progress)
    assert run.status == RunStatus.RUNNING
    # sources run by name, those that identify the person (account, vault) last
    names = [s.name for s in registry.sources() if not s.identifies]
    assert done_before == {n for n in names if n < "m.flaky"}
    assert VaultValue.objects.filter(subject=person.subject).exists()  # not reached yet
    run = services.run_erasure(run_id=run.pk)
    assert run.status == RunStatus.DONE and calls["n"] == 2
    per_source = AuditEvent.objects.filter(subject=person.subject,
                                           action="subjectdata.source_erased")
    sources = [e.detail["source"] for e in per_source]
    assert len(sources) == len(set(sources)) == len(registry.sources())
    assert services.run_erasure(run_id=run.pk).done_at == run.done_at  # a third run: no-op


def test_partial_erasure_keeps_the_rest(person):
    """Erasing the name only deletes that value; the account and key stay."""
    run = _erase(person, categories=["user.name"])
    assert run.certificate["vault_key_destroyed"] is False
    assert not VaultValue.objects.filter(subject=person.subject, field="name").exists()
    assert VaultValue.objects.filter(subject=person.subject, field="phone").exists()
    assert Account.objects.filter(pk=person.pk).exists()
    person.subject.refresh_from_db()
    assert person.subject.status == SubjectStatus.ACTIVE


def test_start_erasure_refuses_unknown_categories_and_empty_reasons(person):
    with pytest.raises(services.SubjectDataError):
        services.start_erasure(actor=STAFF, subject=person.subject, categories=["user.nope"],
                               reason="x")
    with pytest.raises(services.SubjectDataError):
        services.start_erasure(actor=STAFF, subject=person.subject, categories=None,
                               reason=" ")
    assert not ErasureRun.objects.exists()


def test_erasure_is_audited(person):
    _erase(person)
    actions = [a for a in AuditEvent.objects.filter(subject=person.subject)
               .values_list("action", flat=True) if a.startswith("subjectdata.")]
    assert actions[0] == "subjectdata.erasure_started"
    assert actions[-1] == "subjectdata.erasure_done"
    assert actions.count("subjectdata.source_erased") == len(registry.sources())
