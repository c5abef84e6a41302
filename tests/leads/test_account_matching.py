"""An account holder's requests in the subject-data registry: the claimed ones and the
unclaimed ones left with the account's *verified* phone or e-mail are exported and erased with
the account; another person's are not, and an unverified contact matches nothing."""

import pytest

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import services as consent
from piwarden.consent.models import ConsentEvent, ConsentState
from piwarden.leads import services as leads
from piwarden.leads.models import Lead
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects import registry
from piwarden.subjects.models import SubjectStatus
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey, VaultValue

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
OTHER_PHONE = "+8613100131000"


def _source():
    return next(s for s in registry.sources() if s.name == "leads.requests")


def _lead(*, phone="", email="", name="Wang Wei", message="Ring after 6 pm"):
    return leads.submit(submission=leads.Submission(phone=phone, email=email, name=name,
                                                    message=message),
                        contact_ok=True, notice_version=consent.policy_version(),
                        channel="form", ip="203.0.113.9", user_agent="TestBrowser/1.0")


@pytest.fixture
def records(account):
    """A request left with the account's phone (not claimed), one left with its e-mail and
    claimed, and another person's request."""
    matched = _lead(phone=account.test_phone)
    claimed = _lead(email=account.test_email, name="Wang W.", message="")
    assert leads.claim(account=account, lead_ids=[claimed.pk]) == 1
    stranger = _lead(phone=OTHER_PHONE, name="Li Lei", message="Quote please")
    assert ConsentEvent.objects.get(subject=matched.subject).ip_prefix  # blanked by erasure
    return matched, claimed, stranger


def _gone(subject):
    """Nothing of the subject is readable any more: no value, a shredded key, a tombstone, a
    consent ledger without IP prefix or browser."""
    subject.refresh_from_db()
    assert not VaultValue.objects.filter(subject=subject).exists()
    assert not ConsentState.objects.filter(subject=subject).exists()
    events = ConsentEvent.objects.filter(subject=subject)
    assert not events.exclude(ip_prefix="", user_agent="").exists()
    assert DataKey.objects.get(subject=subject).shredded_at is not None
    assert subject.status == SubjectStatus.ERASED


def test_export_holds_matched_and_claimed_requests_only(account, records):
    matched, claimed, _stranger = records
    rows = {row["id"]: row for row in _source().export(account.subject)["leads_lead"]}
    assert set(rows) == {str(matched.pk), str(claimed.pk)}
    assert rows[str(matched.pk)]["link"] == "matched"
    assert rows[str(matched.pk)]["phone"] == account.test_phone
    assert rows[str(matched.pk)]["message"] == "Ring after 6 pm"
    assert rows[str(claimed.pk)]["link"] == "claimed"
    assert rows[str(claimed.pk)]["email"] == account.test_email
    # the lead subject's own export still shows its request as its own
    assert [r["link"] for r in _source().export(matched.subject)["leads_lead"]] == ["own"]


def test_erasure_removes_them_and_leaves_the_other_person(account, records):
    matched, claimed, stranger = records
    erased = _source().erase(actor=ACTOR, subject=account.subject, categories=None)
    # matched: phone, name, message, row; claimed: email, name, row; a consent state each
    assert erased.erased == 9 and erased.anonymized == 2
    # what the lead subjects' other sources keep: the consent ledger's evidence among it
    assert "user.consent" in [k.category for k in erased.kept]
    assert list(Lead.objects.all()) == [stranger]
    _gone(matched.subject), _gone(claimed.subject)
    assert ConsentEvent.objects.filter(subject=matched.subject).exists()  # kept as evidence
    # the account's own values are the vault source's business, which runs after this one
    assert vault.find_subject_ids("phone", account.test_phone) == [account.subject_id]
    assert vault.masked(stranger.subject, "phone") == "131****1000"
    assert vault.masked(stranger.subject, "leads_message") is not None
    stranger.subject.refresh_from_db()
    assert stranger.subject.status == SubjectStatus.ACTIVE
    assert ConsentEvent.objects.get(subject=stranger.subject).ip_prefix
    # idempotent: a rerun finds nothing and writes nothing
    audit_count = AuditEvent.objects.count()
    assert _source().erase(actor=ACTOR, subject=account.subject, categories=None).erased == 0
    assert AuditEvent.objects.count() == audit_count
    assert _source().export(account.subject) == {"leads_lead": []}


def test_partial_erasure_of_matched_requests_keeps_rows(account, records):
    matched, _claimed, stranger = records
    assert _source().erase(actor=ACTOR, subject=account.subject,
                           categories={"inquiry"}).erased == 1
    matched.refresh_from_db(), stranger.refresh_from_db()
    assert not matched.has_message and vault.masked(matched.subject, "leads_message") is None
    assert vault.masked(matched.subject, "phone") is not None and stranger.has_message
    matched.subject.refresh_from_db()
    assert matched.subject.status == SubjectStatus.ACTIVE


def test_account_erasure_run_leaves_no_request_that_identifies_them(account, records):
    matched, claimed, stranger = records
    run = subjectdata.start_erasure(actor=ACTOR, subject=account.subject, categories=None,
                                    reason="deletion request")
    run = subjectdata.run_erasure(run_id=run.pk)
    assert run.progress["leads.requests"]["erased"] == 9
    assert list(Lead.objects.all()) == [stranger]
    _gone(matched.subject), _gone(claimed.subject), _gone(account.subject)
    assert vault.find_subject_ids("phone", account.test_phone) == []
    assert vault.find_subject_ids("email", account.test_email) == []
    assert vault.find_subject_ids("phone", OTHER_PHONE) == [stranger.subject_id]


def test_unverified_contact_matches_nothing(make_account):
    account = make_account(bind=False)
    lead = _lead(phone=account.test_phone)
    assert _source().export(account.subject) == {"leads_lead": []}
    assert _source().erase(actor=ACTOR, subject=account.subject, categories=None).erased == 0
    assert list(Lead.objects.all()) == [lead]
    assert vault.masked(lead.subject, "phone") is not None
