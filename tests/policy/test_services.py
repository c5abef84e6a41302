"""Policy versions: drafts, the reduction detector, publication, immutability, grace window."""

import datetime

import pytest
from django.utils import timezone

from piwarden.audit.models import AuditEvent
from piwarden.consent.notices import NoticeVersionError, check_version
from piwarden.policy import selectors, services
from piwarden.policy.models import PolicyVersion, PublishedVersionError, Status
from piwarden.rights import deadlines
from tests.policy.conftest import draft_next

pytestmark = pytest.mark.django_db


def test_a_draft_is_a_snapshot_of_the_catalog_and_the_terms(system_actor):
    draft = services.create_draft(actor=system_actor)
    assert draft.version == "2026.1" and draft.status == Status.DRAFT
    snap = draft.snapshot
    assert snap["handler"]["name"]["zh-hans"] == "英创科技（中国）有限公司"
    assert snap["rights"]["deadline_business_days"] == 10
    assert {"access", "deletion", "withdrawal"} <= {r["key"] for r in snap["rights"]["items"]}
    assert any(p["key"] == "lead.callback" for p in snap["purposes"])
    assert snap["recipients"] and snap["withdrawal_methods"] and snap["complaint_routes"]
    assert draft.classification["major"] == [] and draft.previous is None
    assert AuditEvent.objects.filter(action="policy.draft_created").exists()


def test_the_first_version_publishes_without_a_campaign(published):
    assert published.status == Status.PUBLISHED and published.effective_at
    assert selectors.current() == published
    assert not published.notice_campaign and not published.reconsent_campaign


def test_g_8_2_deadline_10_to_15_days_is_a_reduction_and_publish_answers_409(
        published, system_actor, terms):
    terms["rights"]["deadline_business_days"] = 15
    draft = draft_next(system_actor, terms)
    assert draft.classification["reductions"] == ["rights.deadline_business_days"]
    assert 4 in draft.classification["major"]
    with pytest.raises(services.PolicyError) as refused:
        services.publish(actor=system_actor, version="2026.2")
    assert (refused.value.status, refused.value.code) == (409, "REQUIRES_EXPLICIT_CONSENT")
    assert PolicyVersion.objects.get(version="2026.2").status == Status.DRAFT
    assert selectors.rights_deadline_days() == 10


def test_g_8_2_a_shorter_deadline_is_no_reduction(published, system_actor, terms):
    terms["rights"]["deadline_business_days"] = 7
    draft = draft_next(system_actor, terms)
    assert draft.classification["reductions"] == []
    assert draft.classification["major"] == [4]


@pytest.mark.parametrize("change, path", [
    (lambda t: t["rights"]["items"].pop(), "rights.cancellation"),
    (lambda t: t["withdrawal_methods"].pop(), "withdrawal_methods.email"),
])
def test_g_8_2_a_removed_right_or_withdrawal_method_is_a_reduction(
        published, system_actor, terms, change, path):
    change(terms)
    draft = draft_next(system_actor, terms)
    assert draft.classification["reductions"] == [path]


def test_g_8_2_longer_retention_is_a_reduction(published, system_actor):
    from piwarden.catalog.models import ProcessingActivity

    ProcessingActivity.objects.filter(key="account.verification_codes").update(retention="P7D")
    draft = draft_next(system_actor, None)
    assert draft.classification["reductions"] == ["activities.account.verification_codes"
                                                  ".retention"]
    assert 1 in draft.classification["major"]


def test_the_published_deadline_drives_the_rights_engine(db, system_actor, terms):
    """A first version promising 15 business days: due dates follow it."""
    terms["rights"]["deadline_business_days"] = 15
    services.create_draft(actor=system_actor, terms=terms)
    assert deadlines.due_date(datetime.date(2026, 2, 13)) == (datetime.date(2026, 3, 5), False)
    services.publish(actor=system_actor, version="2026.1")
    assert selectors.rights_deadline_days() == 15
    assert deadlines.due_date(datetime.date(2026, 2, 13)) == (datetime.date(2026, 3, 12), False)


def test_a_published_version_is_immutable(published, system_actor):
    published.snapshot = {}
    with pytest.raises(PublishedVersionError):
        published.save()
    with pytest.raises(PublishedVersionError):
        PolicyVersion.objects.get(pk=published.pk).delete()
    with pytest.raises(services.PolicyError) as again:
        services.publish(actor=system_actor, version="2026.1")
    assert again.value.code == "VERSION_PUBLISHED"
    with pytest.raises(services.PolicyError) as redraft:
        services.create_draft(actor=system_actor)
    assert redraft.value.code == "VERSION_PUBLISHED"
    assert PolicyVersion.objects.get(pk=published.pk).snapshot["version"] == "2026.1"


def test_a_minor_change_does_not_make_the_banner_ask_again(published, system_actor):
    minor = draft_next(system_actor, None)  # a new version string, nothing else
    assert minor.classification["major"] == [] and minor.classification["changes"] == []
    services.publish(actor=system_actor, version="2026.2")
    assert selectors.current().version == "2026.2"
    assert selectors.banner_version() == "2026.1"


def test_grace_window_accepts_the_previous_version_then_refuses(published, system_actor,
                                                               settings):
    settings.PIWARDEN_POLICY_GRACE_DAYS = 30
    draft_next(system_actor, None)
    services.publish(actor=system_actor, version="2026.2")
    assert check_version("2026.2") == "2026.2"
    assert check_version("2026.1") == "2026.1"  # within the grace window
    assert selectors.accepts_notice("2026.1", now=timezone.now() + datetime.timedelta(days=29))
    assert not selectors.accepts_notice("2026.1",
                                        now=timezone.now() + datetime.timedelta(days=31))
    PolicyVersion.objects.filter(version="2026.2").update(
        effective_at=timezone.now() - datetime.timedelta(days=31))
    with pytest.raises(NoticeVersionError) as outdated:
        check_version("2026.1")
    assert (outdated.value.status, outdated.value.code) == (409, "NOTICE_OUTDATED")
    with pytest.raises(NoticeVersionError):
        check_version("2025.9")  # never a version


def test_a_draft_made_before_another_publication_is_stale(published, system_actor):
    draft_next(system_actor, None, version="2026.2")
    draft_next(system_actor, None, version="2026.3")
    services.publish(actor=system_actor, version="2026.3")
    with pytest.raises(services.PolicyError) as stale:
        services.publish(actor=system_actor, version="2026.2")
    assert stale.value.code == "DRAFT_STALE"


def test_acceptance_is_recorded_once_and_names_the_terms_a_person_is_on(
        published, system_actor, person):
    assert selectors.accepted_version(person) is None
    services.accept(actor=system_actor, subject=person, version="2026.1", how="consent")
    services.accept(actor=system_actor, subject=person, version="2026.1", how="consent")
    assert selectors.accepted_version(person) == published
    assert published.acceptances.count() == 1
    event = AuditEvent.objects.filter(action="policy.accepted").latest("seq")
    assert event.subject_id == person.pk


def test_export_lists_the_versions_a_person_accepted(published, system_actor, person):
    from piwarden.policy import subject_data

    services.accept(actor=system_actor, subject=person, version=published, how="consent")
    rows = subject_data.export(person)["policy_acceptances"]
    assert [(r["version"], r["how"]) for r in rows] == [("2026.1", "consent")]
    assert subject_data.erase(actor=system_actor, subject=person, categories=None).kept
