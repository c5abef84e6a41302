"""The only writer of alerts: raise one, then acknowledge, assign and resolve it; each audited.

``raise_alert`` is called by every app that notices something staff must see (egress
refusals first); it writes inside the caller's transaction, like ``audit.record``, so an
alert never describes an action that rolled back, and staff are e-mailed after the commit.
"""

import re
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from piwarden.alerts import tasks
from piwarden.alerts.models import Alert, AlertStatus, AlertSubject, Severity
from piwarden.alerts.notify import PERMISSION
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.jobs.services import enqueue_with_caller
from piwarden.subjects.models import Subject

_KIND = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
SUMMARY_MAX = Alert._meta.get_field("summary").max_length


class AlertError(ServiceError):
    """An alert that cannot be raised or changed as asked."""


def _reference(obj) -> str:
    if isinstance(obj, models.Model):
        return f"{obj._meta.label_lower}:{obj.pk}"
    return str(obj)


def raise_alert(*, kind: str, severity: str, source: str, summary: str,
                detail: dict | None = None, subjects: Iterable[Subject] = (),
                objects: Iterable = (), actor: Actor | None = None) -> Alert:
    """Record an alert in the caller's transaction and e-mail staff once it commits.

    ``summary`` and ``detail`` must hold no PI values (they are e-mailed and kept): name
    hosts, keys and ids. ``objects`` are model instances or "app.model:pk" references. The
    audit record's actor is ``actor``, or the system job named by ``source``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AlertError("NOT_IN_TRANSACTION", "raise_alert() must run inside the caller's "
                                               "transaction.atomic block", status=500)
    summary = summary.strip()
    if not _KIND.match(kind):
        raise AlertError("KIND_INVALID", f"alert kind {kind!r} is not a dotted name")
    if severity not in Severity.values:
        raise AlertError("SEVERITY_INVALID", f"alert severity {severity!r} is not one of "
                                             f"{Severity.values}")
    if not summary or len(summary) > SUMMARY_MAX or not source:
        raise AlertError("ALERT_INVALID", f"an alert needs a source and a summary of at most "
                                          f"{SUMMARY_MAX} characters")
    people = list(dict.fromkeys(subjects))
    alert = Alert.objects.create(kind=kind, severity=severity, source=source[:160],
                                 summary=summary, detail=detail or {},
                                 objects_concerned=[_reference(obj) for obj in objects])
    AlertSubject.objects.bulk_create(AlertSubject(alert=alert, subject=s) for s in people)
    audit.record(actor=actor or Actor.system(source), action="alerts.raised", obj=alert,
                 subject=people[0] if len(people) == 1 else None,
                 detail={"kind": kind, "severity": severity, "subjects": len(people)})
    enqueue_with_caller(tasks.notify_staff, alert.pk)
    return alert


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _save(actor: Actor, alert: Alert, action: str, detail: dict, fields: list[str]) -> Alert:
    alert.updated_at = timezone.now()
    alert.save(update_fields=[*fields, "updated_at"])
    audit.record(actor=actor, action=action, obj=alert, detail=detail)
    return alert


@transaction.atomic
def acknowledge(*, actor: Actor, alert: Alert) -> Alert:
    """Someone is looking at it: an open alert becomes acknowledged."""
    alert = _locked(alert)
    if alert.status != AlertStatus.OPEN:
        raise AlertError("ALERT_NOT_OPEN", "Only an open alert can be acknowledged.",
                         status=409)
    alert.status = AlertStatus.ACKNOWLEDGED
    return _save(actor, alert, "alerts.acknowledged", {"from": "open", "to": alert.status},
                 ["status"])


@transaction.atomic
def resolve(*, actor: Actor, alert: Alert) -> Alert:
    """Settled: an open or acknowledged alert becomes resolved (and stays so)."""
    alert = _locked(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise AlertError("ALERT_RESOLVED", "This alert is already resolved.", status=409)
    previous, alert.status = alert.status, AlertStatus.RESOLVED
    return _save(actor, alert, "alerts.resolved", {"from": previous, "to": alert.status},
                 ["status"])


@transaction.atomic
def assign(*, actor: Actor, alert: Alert, assignee) -> Alert:
    """Give an unresolved alert to an active staff member who may see alerts (None: nobody)."""
    alert = _locked(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise AlertError("ALERT_RESOLVED", "A resolved alert is not assigned.", status=409)
    if assignee is not None and not (assignee.is_active and assignee.is_staff
                                     and assignee.has_perm(PERMISSION)):
        raise AlertError("ASSIGNEE_INVALID", "Alerts go to active staff who may see alerts.")
    alert.assignee = assignee
    return _save(actor, alert, "alerts.assigned",
                 {"assignee": assignee.pk if assignee else None}, ["assignee"])
