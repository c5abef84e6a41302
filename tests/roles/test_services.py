"""Staff governance (V-5.1b): the personnel registry gates grants; grants expire, are renewed
by a privacy officer, end at once when revoked; offboarding, break-glass and the access review."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, Outcome
from piwarden.clients import services as clients
from piwarden.roles import registry, review, services, tasks
from piwarden.roles.models import AccessReviewLine, Decision, Grant, GrantKind, StaffMember
from piwarden.roles.selectors import has_role, held_roles
from tests.roles.factories import OPERATOR, PDF, cleared, grant_role, staff_user

pytestmark = pytest.mark.django_db


def refused(code, call):
    with pytest.raises(services.GrantError) as caught:
        call()
    assert caught.value.code == code


def test_v_5_1b_grant_without_confidentiality_record_is_refused(officer):
    """A PI role for staff without a confidentiality record is refused, and the refusal
    audited; training alone or the agreement alone is not enough."""
    clerk = staff_user("clerk")
    call = lambda: services.grant(actor=Actor.staff(officer), user=clerk,  # noqa: E731
                                  key=registry.LEGAL)
    refused("CONFIDENTIALITY_RECORD_MISSING", call)
    with transaction.atomic():
        services.record_training(actor=OPERATOR, user=clerk, trained_on=timezone.localdate())
    refused("CONFIDENTIALITY_RECORD_MISSING", call)
    assert not has_role(clerk, registry.LEGAL)
    denials = AuditEvent.objects.filter(action="roles.grant_refused", outcome=Outcome.DENIED)
    assert denials.count() == 2
    assert denials.first().detail["code"] == "CONFIDENTIALITY_RECORD_MISSING"
    cleared(clerk)
    made = call()
    assert has_role(clerk, registry.LEGAL) and made.approved_by == officer


def test_v_5_1b_the_auditor_role_reaches_pi_the_administrator_role_does_not(officer):
    clerk = staff_user("clerk")
    refused("CONFIDENTIALITY_RECORD_MISSING",
            lambda: services.grant(actor=Actor.staff(officer), user=clerk, key="auditor"))
    services.grant(actor=Actor.staff(officer), user=clerk, key="administrator")
    assert held_roles(clerk) == ["administrator"]


def test_v_5_1b_grants_expire_after_the_configured_days(officer, settings):
    settings.PIWARDEN_GRANT_DAYS = 30
    made = grant_role(staff_user(), registry.LEGAL, actor=Actor.staff(officer))
    assert abs(made.expires_at - (made.starts_at + timedelta(days=30))) < timedelta(seconds=5)


def test_v_5_1b_only_another_privacy_officer_approves(officer, groups):
    clerk, other = staff_user("clerk"), staff_user("other")
    cleared(clerk)
    refused("PRIVACY_OFFICER_REQUIRED",
            lambda: services.grant(actor=Actor.staff(other), user=clerk, key=registry.LEGAL))
    cleared(officer)
    refused("OWN_ACCESS", lambda: services.grant(actor=Actor.staff(officer), user=officer,
                                                 key=registry.LEGAL))
    refused("GRANT_EXISTS", lambda: services.grant(actor=OPERATOR, user=officer,
                                                   key=registry.PRIVACY_OFFICER))


def test_v_5_1b_renewal_by_a_privacy_officer_only(officer, groups):
    """Re-approval: a privacy officer other than the holder extends the grant."""
    clerk = staff_user("clerk")
    made = grant_role(clerk, registry.LEGAL)
    made.expires_at = timezone.now() + timedelta(days=3)
    made.reminded_at = timezone.now()
    made.save()
    other = staff_user("other")
    refused("PRIVACY_OFFICER_REQUIRED",
            lambda: services.renew(actor=Actor.staff(other), grant=made))
    refused("OWN_ACCESS", lambda: services.renew(
        actor=Actor.staff(officer), grant=Grant.objects.get(user=officer)))
    renewed = services.renew(actor=Actor.staff(officer), grant=made)
    assert renewed.expires_at > timezone.now() + timedelta(days=89)
    assert renewed.reminded_at is None and renewed.approved_by == officer
    assert AuditEvent.objects.filter(action="roles.grant_renewed").count() == 1


def test_v_5_1b_expired_grant_stops_working_without_a_job(groups):
    """Past its expiry a grant no longer counts at once; the job then ends its membership."""
    clerk = staff_user("clerk")
    made = grant_role(clerk, registry.LEGAL)
    Grant.objects.filter(pk=made.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not has_role(clerk, registry.LEGAL) and held_roles(clerk) == []
    assert clerk.groups.filter(name="role:legal").exists()  # the job has not run yet
    result = tasks.maintain.call()
    assert result["expired"] == 1
    assert not clerk.groups.filter(name="role:legal").exists()
    assert AuditEvent.objects.filter(action="roles.grant_expired").count() == 1


def test_v_5_1b_revocation_ends_the_role_at_once(officer):
    clerk = staff_user("clerk")
    made = grant_role(clerk, registry.LEGAL)
    services.revoke(actor=Actor.staff(officer), grant=made)
    assert not has_role(clerk, registry.LEGAL)
    made.refresh_from_db()
    assert made.revoked_by == officer and not made.applied
    refused("GRANT_NOT_ACTIVE", lambda: services.revoke(actor=Actor.staff(officer), grant=made))


def test_v_5_1b_reminder_before_expiry_is_sent_once(groups, settings):
    settings.PIWARDEN_GRANT_REMIND_DAYS = 14
    soon, later = grant_role(staff_user("a"), registry.LEGAL), grant_role(staff_user("b"),
                                                                           registry.LEGAL)
    Grant.objects.filter(pk=soon.pk).update(expires_at=timezone.now() + timedelta(days=10))
    assert services.remind_expiring(actor=OPERATOR) == 1
    assert services.remind_expiring(actor=OPERATOR) == 0
    alert = Alert.objects.get(kind="roles.grant_expiring")
    assert alert.objects_concerned == [f"roles.grant:{soon.pk}"]
    assert Grant.objects.get(pk=later.pk).reminded_at is None


def test_v_5_1b_group_membership_follows_grants(groups):
    """Someone added to a role group by hand, without a grant, is removed by the job."""
    clerk = staff_user("clerk")
    clerk.groups.add(Group.objects.get(name="role:legal"))
    holder = staff_user("holder")
    grant_role(holder, registry.LEGAL)
    assert services.reconcile(actor=OPERATOR) == 1
    assert not has_role(clerk, registry.LEGAL) and has_role(holder, registry.LEGAL)


def test_v_5_1b_the_signed_agreement_is_sealed_and_opened_audited(officer):
    clerk = staff_user("clerk")
    member = cleared(clerk)
    member = StaffMember.objects.get(pk=member.pk)
    assert PDF not in bytes(member.agreement) and member.cleared
    data, kind = services.open_agreement(actor=Actor.staff(officer), member=member)
    assert data == PDF and kind == "application/pdf"
    assert AuditEvent.objects.filter(action="roles.agreement_opened").count() == 1
    refused("PRIVACY_OFFICER_REQUIRED",
            lambda: services.open_agreement(actor=Actor.staff(clerk), member=member))
    refused("EVIDENCE_TYPE", lambda: services.record_agreement(
        actor=OPERATOR, user=clerk, signed_on=timezone.localdate(), data=b"<html>"))
    refused("DATE_IN_FUTURE", lambda: services.record_training(
        actor=OPERATOR, user=clerk, trained_on=timezone.localdate() + timedelta(days=2)))


def test_v_5_1b_offboarding_ends_grants_sessions_and_keys(officer):
    """Offboarding revokes every grant, ends every session and the API clients the person
    created, and deactivates the account, at once."""
    leaver = staff_user("leaver")
    grant_role(leaver, registry.LEGAL)
    browser = Client()
    browser.force_login(leaver)
    assert Session.objects.count() == 1
    with transaction.atomic():
        client, _key = clients.create_client(actor=Actor.staff(leaver), name="leaver-tool",
                                             scopes=["catalog:read"])
    refused("REASON_REQUIRED", lambda: services.offboard(actor=Actor.staff(officer),
                                                         user=leaver, reason=" "))
    done = services.offboard(actor=Actor.staff(officer), user=leaver, reason="Left.")
    assert done == {"grants": 1, "sessions": 1, "api_clients": 1}
    leaver.refresh_from_db()
    client.refresh_from_db()
    assert not leaver.is_active and not client.is_active
    assert Session.objects.count() == 0 and not leaver.groups.exists()
    assert browser.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action="roles.offboarded").count() == 1


def test_v_5_1b_break_glass_alerts_at_once_and_is_reviewed(security, settings):
    settings.PIWARDEN_BREAK_GLASS_MINUTES = 60
    oncall = staff_user("oncall")
    take = lambda: services.break_glass(  # noqa: E731
        actor=Actor.staff(oncall), key=registry.SECURITY_OFFICER,
        reason="Incident 42: production database unreachable")
    refused("CONFIDENTIALITY_RECORD_MISSING", take)
    cleared(oncall)
    made = take()
    assert made.kind == GrantKind.BREAK_GLASS and has_role(oncall, registry.SECURITY_OFFICER)
    assert made.expires_at - made.starts_at == timedelta(minutes=60)
    alert = Alert.objects.get(kind="roles.break_glass")
    assert alert.severity == "high"
    refused("BREAK_GLASS_REFUSED", take)  # holds a role now
    refused("OWN_ACCESS", lambda: services.review_break_glass(actor=Actor.staff(oncall),
                                                              grant=made))
    reviewed = services.review_break_glass(actor=Actor.staff(security), grant=made)
    assert reviewed.reviewed_by == security
    refused("NOTHING_TO_REVIEW", lambda: services.review_break_glass(
        actor=Actor.staff(security), grant=made))
    refused("REASON_REQUIRED", lambda: services.break_glass(
        actor=Actor.staff(security), key=registry.LEGAL, reason=""))


def test_v_5_1b_break_glass_never_takes_an_approving_role_nor_twice_unreviewed(groups):
    """The privacy officer's approvals are never taken by break-glass; after one break-glass
    access the next waits until the first was reviewed."""
    oncall = staff_user("oncall")
    cleared(oncall)
    reason = "Incident 43: the task worker is down"
    refused("BREAK_GLASS_REFUSED", lambda: services.break_glass(
        actor=Actor.staff(oncall), key=registry.PRIVACY_OFFICER, reason=reason))
    made = services.break_glass(actor=Actor.staff(oncall), key=registry.LEGAL, reason=reason)
    Grant.objects.filter(pk=made.pk).update(expires_at=timezone.now())
    services.expire_due(actor=OPERATOR)
    assert not has_role(oncall, registry.LEGAL)
    refused("BREAK_GLASS_REFUSED", lambda: services.break_glass(
        actor=Actor.staff(oncall), key=registry.LEGAL, reason=reason))


def test_v_5_1b_quarterly_access_review(officer, settings):
    """Each quarter every active grant is listed; a privacy officer confirms or revokes each
    line; an overdue review raises one alert."""
    keep, drop = staff_user("keep"), staff_user("drop")
    grant_role(keep, registry.LEGAL)
    dropped = grant_role(drop, registry.LEGAL)
    opened = review.open_review(actor=OPERATOR)
    assert opened is not None and review.open_review(actor=OPERATOR) is None
    lines = {line.grant.user: line for line in opened.lines.select_related("grant__user")}
    assert set(lines) == {officer, keep, drop}
    with pytest.raises(services.GrantError):
        review.decide(actor=Actor.staff(officer), line=lines[officer], confirm=True)
    review.decide(actor=Actor.staff(officer), line=lines[keep], confirm=True)
    review.decide(actor=Actor.staff(officer), line=lines[drop], confirm=False)
    dropped.refresh_from_db()
    assert not dropped.applied and has_role(keep, registry.LEGAL)
    opened.due_at = timezone.now() - timedelta(days=1)
    opened.save()
    assert review.alert_overdue(actor=OPERATOR) == 1
    assert review.alert_overdue(actor=OPERATOR) == 0
    assert Alert.objects.filter(kind="roles.access_review_overdue").count() == 1
    review.decide(actor=OPERATOR, line=lines[officer], confirm=True)
    opened.refresh_from_db()
    assert opened.closed_at is not None
    assert not AccessReviewLine.objects.filter(decision=Decision.PENDING).exists()
