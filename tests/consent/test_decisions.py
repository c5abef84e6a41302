from datetime import timedelta

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from piwarden.consent.decisions import InvalidSubject, UnknownKey, decide
from piwarden.consent.models import ConsentEvent
from piwarden.subjects.models import SubjectStatus
from piwarden.subjects.services import change_status

from .conftest import NOTICE

pytestmark = pytest.mark.django_db


def grant(subject, purpose, scope="general", **kwargs):
    return consent.grant(actor=Actor.person(subject), subject=subject, purpose=purpose,
                         scope=scope, notice_text=NOTICE, channel="web", **kwargs)


def test_consent_purpose_is_denied_until_granted(person):
    """Nothing is deemed: a consent purpose starts denied and is allowed once granted."""
    before = decide(person.pk, "marketing.email", ["user.contact.email"])
    assert (before.allowed, before.reason, before.missing_scopes) == (
        False, "consent_missing", ("general",))
    grant(person, "marketing.email")
    after = decide(person.pk, "marketing.email", ["user.contact.email"])
    assert (after.allowed, after.reason, after.legal_basis) == (True, "consent_granted", "consent")


def test_withdrawal_denies_the_next_decision_and_keeps_history(person):
    """A withdrawal takes effect for the very next decision; earlier events stay."""
    grant(person, "marketing.email")
    assert decide(person.pk, "marketing.email").allowed
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="marketing.email",
                     notice_text="Withdraw consent to e-mail marketing", channel="web")
    denied = decide(person.pk, "marketing.email")
    assert (denied.allowed, denied.reason) == (False, "consent_withdrawn")
    assert list(ConsentEvent.objects.filter(subject=person).values_list("choice", flat=True)
                .order_by("id")) == ["grant", "withdraw"]


def test_non_consent_purpose_is_allowed_under_its_catalog_basis(person):
    decision = decide(person.pk, "security", ["user.log.ip_address"])
    assert (decision.allowed, decision.legal_basis) == (True, "legal_obligation")


def test_sensitive_category_needs_separate_consent(person):
    """ID information under a contract purpose still needs separate consent (PIPL Art. 29)."""
    plain = decide(person.pk, "service.provision", ["user.name"])
    assert plain.allowed and plain.legal_basis == "contract"
    denied = decide(person.pk, "service.provision", ["user.id_info"])
    assert (denied.allowed, denied.reason, denied.missing_scopes) == (
        False, "separate_consent_missing", ("separate.sensitive",))
    grant(person, "service.provision", scope="separate.sensitive")
    allowed = decide(person.pk, "service.provision", ["user.id_info"])
    assert (allowed.allowed, allowed.legal_basis) == (True, "consent.separate")


def test_separate_purpose_is_not_satisfied_by_general_consent(person):
    with pytest.raises(consent.ConsentError) as error:
        grant(person, "sharing.affiliates")
    assert error.value.code == "SCOPE_NOT_APPLICABLE"
    grant(person, "sharing.affiliates", scope="separate.third_party")
    assert decide(person.pk, "sharing.affiliates").allowed


def test_bundled_accept_never_grants_separate_consent(person):
    with pytest.raises(consent.ConsentError) as error:
        grant(person, "cookies.advertising", scope="separate.third_party", bundled=True)
    assert error.value.code == "SEPARATE_CONSENT_NOT_BUNDLED"
    assert not decide(person.pk, "cookies.advertising").allowed
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_undeclared_category_is_denied_and_unknown_keys_raise(person):
    assert decide(person.pk, "marketing.email", ["user.id_info"]).reason == "category_not_declared"
    with pytest.raises(UnknownKey):
        decide(person.pk, "marketing.fax")
    with pytest.raises(UnknownKey):
        decide(person.pk, "marketing.email", ["user.shoe_size"])
    with pytest.raises(InvalidSubject):
        decide("not-a-uuid", "security")


def test_status_restricts_everything_but_legal_duties(person, system_actor):
    grant(person, "marketing.email")
    change_status(actor=system_actor, subject=person, status=SubjectStatus.CANCELLED,
                  reason="account cancelled")
    assert decide(person.pk, "marketing.email").reason == "account_cancelled"
    assert decide(person.pk, "retention.legal").allowed


def test_recorded_exception_allows_without_consent(person, system_actor):
    assert not decide(person.pk, "marketing.phone").allowed
    exception = consent.record_exception(
        actor=system_actor, subject=person, purpose="marketing.phone",
        legal_basis="exception.vital_interests", reason="Ticket 42: safety recall call",
        expires_at=timezone.now() + timedelta(days=1))
    decision = decide(person.pk, "marketing.phone")
    assert (decision.allowed, decision.reason, decision.legal_basis) == (
        True, "exception_recorded", "exception.vital_interests")
    consent.revoke_exception(actor=system_actor, exception=exception)
    assert not decide(person.pk, "marketing.phone").allowed


def test_unknown_subject_is_denied():
    import uuid
    assert decide(uuid.uuid4(), "security").reason == "unknown_subject"


def test_prefetched_views_answer_like_single_loads(person, make_subject):
    """The batch endpoint's prefetch gives the same answers as one subject at a time."""
    from piwarden.consent import decisions

    other = make_subject()
    grant(person, "survey")
    decisions.prefetch([person.pk, other.pk])
    assert decide(person.pk, "survey").allowed
    assert decide(other.pk, "survey").reason == "consent_missing"
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="survey",
                     notice_text=NOTICE, channel="web")
    decisions.prefetch([person.pk])
    assert decide(person.pk, "survey").reason == "consent_withdrawn"


def test_withdrawal_schedules_erasure_of_data_held_only_on_that_consent(make_subject,
                                                                       system_actor):
    """A lead who withdraws call-back consent has the contact data kept for it erased."""
    from datetime import timedelta

    from django.db import transaction

    from piwarden.consent import erasure
    from piwarden.consent.models import ErasureStatus, ScheduledErasure
    from piwarden.vault import services as vault

    lead = make_subject("lead")
    grant(lead, "lead.callback")
    with transaction.atomic():
        vault.put(actor=system_actor, subject=lead, field="phone", value="13800138000",
                  purpose="lead.callback")
    event = consent.withdraw(actor=Actor.person(lead), subject=lead, purpose="lead.callback",
                             notice_text=NOTICE, channel="web")
    scheduled = ScheduledErasure.objects.get(subject=lead)
    assert "user.contact.phone" in scheduled.categories
    assert scheduled.due_at == event.occurred_at + timedelta(days=7)
    assert erasure.run_due(actor=system_actor) == 0  # not due yet
    ScheduledErasure.objects.filter(pk=scheduled.pk).update(due_at=event.occurred_at)
    assert erasure.run_due(actor=system_actor) == 1
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.outcome) == (ErasureStatus.DONE,
                                                      {"accounts": 0, "collection": 0,
                                                       "vault": 1})
    assert vault.masked(lead, "phone") is None


def test_granting_again_cancels_a_pending_erasure(make_subject):
    from piwarden.consent.models import ErasureStatus, ScheduledErasure

    lead = make_subject("lead")
    grant(lead, "lead.callback")
    consent.withdraw(actor=Actor.person(lead), subject=lead, purpose="lead.callback",
                     notice_text=NOTICE, channel="web")
    grant(lead, "lead.callback")
    assert ScheduledErasure.objects.get(subject=lead).status == ErasureStatus.CANCELLED


def test_account_data_under_a_contract_is_not_erased_on_withdrawal(person):
    """Withdrawing e-mail marketing keeps the account's e-mail (needed for the account)."""
    from piwarden.consent.models import ScheduledErasure

    grant(person, "marketing.email")
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="marketing.email",
                     notice_text=NOTICE, channel="web")
    erasure = ScheduledErasure.objects.filter(subject=person).first()
    assert erasure is None or "user.contact.email" not in erasure.categories


def test_visitor_cookie_choices_are_carried_to_the_account_at_sign_in(person, system_actor):
    import uuid as uuidlib

    from piwarden.consent.models import Visitor

    visitor_id = uuidlib.uuid4()
    visitor = consent.visitor_subject(actor=system_actor, visitor_id=visitor_id)
    consent.record_banner_choice(actor=system_actor, subject=visitor, action="accept_all",
                                 choices={}, gpc=False, lang="en")
    assert not decide(person.pk, "cookies.analytics").allowed
    assert consent.link_visitor(actor=Actor.person(person), visitor_id=visitor_id,
                                subject=person) == 2
    assert decide(person.pk, "cookies.analytics").allowed
    carried = ConsentEvent.objects.filter(subject=person, purpose="cookies.analytics").get()
    assert (carried.channel, carried.carried_from.subject_id) == ("visitor_link", visitor.pk)
    assert Visitor.objects.get(visitor_id=visitor_id).linked_to == person
    # The same browser signing in to another account carries nothing over.
    from piwarden.subjects.services import create_subject

    other = create_subject(actor=system_actor, kind="account_holder")
    assert consent.link_visitor(actor=Actor.person(other), visitor_id=visitor_id,
                                subject=other) == 0


def test_refusing_after_a_grant_schedules_erasure_like_a_withdrawal(make_subject):
    from piwarden.consent.models import ScheduledErasure

    lead = make_subject("lead")
    grant(lead, "lead.callback")
    consent.refuse(actor=Actor.person(lead), subject=lead, purpose="lead.callback",
                   notice_text=NOTICE, channel="web")
    assert ScheduledErasure.objects.filter(subject=lead).count() == 1


def test_withdrawing_separate_consent_erases_only_the_sensitive_data(person):
    from piwarden.consent.models import ScheduledErasure

    grant(person, "service.provision", scope="separate.sensitive")
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="service.provision",
                     scope="separate.sensitive", notice_text=NOTICE, channel="web")
    erasure = ScheduledErasure.objects.get(subject=person)
    assert "user.id_info" in erasure.categories
    assert all(c in decisions_rules_sensitive("service.provision") for c in erasure.categories)


def decisions_rules_sensitive(purpose):
    from piwarden.consent import decisions

    return decisions.rules().purposes[purpose].sensitive


def test_a_restricted_person_carries_no_banner_choice_and_nothing_fails(person, system_actor):
    import uuid as uuidlib

    visitor_id = uuidlib.uuid4()
    visitor = consent.visitor_subject(actor=system_actor, visitor_id=visitor_id)
    consent.record_banner_choice(actor=system_actor, subject=visitor, action="accept_all",
                                 choices={}, gpc=False, lang="en")
    person = change_status(actor=system_actor, subject=person, status=SubjectStatus.RESTRICTED,
                           reason="the person asked")
    assert consent.link_visitor(actor=Actor.person(person), visitor_id=visitor_id,
                                subject=person) == 0


def test_a_rolled_back_grant_leaves_no_cached_allowance(committed_db, system_actor):
    """Decisions read inside a transaction are not cached: a rollback cannot leave a grant."""
    from django.db import transaction

    from piwarden.subjects.services import create_subject

    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
    with pytest.raises(RuntimeError), transaction.atomic():
        grant(subject, "marketing.email")
        assert decide(subject.pk, "marketing.email").allowed
        raise RuntimeError("roll back")
    assert decide(subject.pk, "marketing.email").reason == "consent_missing"
