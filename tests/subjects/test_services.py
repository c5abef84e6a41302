"""Subjects: created and changed only through services that audit them."""

import pytest

from piwarden.audit.models import AuditEvent
from piwarden.subjects import services
from piwarden.subjects.models import SubjectKind, SubjectStatus

pytestmark = pytest.mark.django_db


def test_create_subject_is_audited(system_actor):
    """A new subject has an opaque id, and its creation is the first record about it."""
    subject = services.create_subject(actor=system_actor, kind=SubjectKind.LEAD)
    event = AuditEvent.objects.get(subject=subject)
    assert event.action == "subject.created" and event.detail == {"kind": "lead"}
    assert subject.status == SubjectStatus.ACTIVE


def test_status_change_is_audited_with_its_reason(system_actor):
    """Every status change says from what, to what and why."""
    subject = services.create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
    services.change_status(actor=system_actor, subject=subject, status=SubjectStatus.RESTRICTED,
                           reason="legal hold: tax records")
    event = AuditEvent.objects.filter(subject=subject).order_by("-seq").first()
    assert event.action == "subject.status_changed"
    assert event.detail == {"from": "active", "to": "restricted",
                            "reason": "legal hold: tax records"}


@pytest.mark.parametrize(
    ("path", "reason"),
    [([SubjectStatus.ERASED, SubjectStatus.ACTIVE], "x"), ([SubjectStatus.CANCELLED], " ")],
)
def test_invalid_status_changes_are_refused(system_actor, path, reason):
    """An erased subject never returns, and a change without a reason is refused."""
    subject = services.create_subject(actor=system_actor, kind=SubjectKind.VISITOR)
    with pytest.raises(services.SubjectStatusError):
        for status in path:
            services.change_status(actor=system_actor, subject=subject, status=status,
                                   reason=reason)
