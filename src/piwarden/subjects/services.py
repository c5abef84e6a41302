"""Creating subjects and changing their status, each with its audit record."""

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.caches import freshness
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus

# Which status may follow which: an erased subject never comes back.
_ALLOWED = {
    SubjectStatus.ACTIVE: {SubjectStatus.RESTRICTED, SubjectStatus.CANCELLED, SubjectStatus.ERASED},
    SubjectStatus.RESTRICTED: {SubjectStatus.ACTIVE, SubjectStatus.CANCELLED, SubjectStatus.ERASED},
    SubjectStatus.CANCELLED: {SubjectStatus.ERASED},
    SubjectStatus.ERASED: set(),
}


class SubjectStatusError(ValueError):
    pass


@transaction.atomic
def create_subject(*, actor: Actor, kind: SubjectKind) -> Subject:
    subject = Subject.objects.create(kind=SubjectKind(kind))
    audit.record(actor=actor, action="subject.created", subject=subject, obj=subject,
                 detail={"kind": subject.kind})
    return subject


@transaction.atomic
def change_status(*, actor: Actor, subject: Subject, status: SubjectStatus, reason: str) -> Subject:
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    status = SubjectStatus(status)
    if status not in _ALLOWED[SubjectStatus(subject.status)]:
        raise SubjectStatusError(f"a subject cannot go from {subject.status} to {status}")
    if not reason.strip():
        raise SubjectStatusError("a status change needs a reason")
    previous = subject.status
    subject.status = status
    subject.status_changed_at = timezone.now()
    subject.save(update_fields=["status", "status_changed_at"])
    freshness.subject_changed(subject.pk)
    audit.record(actor=actor, action="subject.status_changed", subject=subject, obj=subject,
                 detail={"from": previous, "to": status, "reason": reason})
    return subject
