"""The only writers of incidents: open, describe, scope, decide, notify, report, close.

Each change writes an ``IncidentEvent`` (the timeline) and an audit record in the same
transaction. Closing needs the two decisions PIPL Art. 57 asks for: whether the people are
told (a refusal to tell needs a recorded justification, para 2) and the report to the
regulator, which is never optional.
"""

import datetime
import hashlib

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.incidents import notices, rules
from piwarden.incidents.models import (
    AffectedPerson,
    Decision,
    Drill,
    Incident,
    IncidentEvent,
    Playbook,
    PrincipalKind,
    ProgressUpdate,
    RegulatorSubmission,
    Severity,
    Status,
)

PURPOSE, BASIS = "incident.notification", "legal_obligation"
ELEMENTS = ("title", "summary", *(f"{name}{suffix}" for name in (
    "cause", "possible_harm", "measures_taken", "advice", "remedies", "contact")
    for suffix in ("", "_en")))
EDITABLE = (*ELEMENTS, "severity", "occurred_from", "occurred_to")
CHUNK = 2000
RECEIPT_MAX_BYTES = 10 * 1024 * 1024


class IncidentError(ServiceError):
    """An incident action refused as asked."""


def _note(actor: Actor, incident: Incident, kind: str, detail: dict | None = None, *,
          action: str = "", subjects=(), categories=()) -> None:
    """One timeline entry and its audit record (the detail holds names and counts only)."""
    detail = detail or {}
    IncidentEvent.objects.create(incident=incident, kind=kind, actor=str(actor), detail=detail)
    audit.record(actor=actor, action=action or f"incidents.{kind}", obj=incident, detail=detail,
                 subjects=subjects, categories=categories,
                 purpose=PURPOSE if subjects else "", legal_basis=BASIS if subjects else "")


def _locked(incident: Incident, *, open_only: bool = True) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if open_only and incident.status == Status.CLOSED:
        raise IncidentError("INCIDENT_CLOSED", "This incident is closed.", status=409)
    return incident


def _check_window(kind: str, start, end) -> None:
    if kind != PrincipalKind.STORE and (start is None or end is None):
        raise IncidentError("WINDOW_MISSING", "A compromised account or key needs the time "
                            "window in which it was misused.", field="occurred_from")
    if start and end and end < start:
        raise IncidentError("WINDOW_INVALID", "The window ends before it starts.",
                            field="occurred_to")


@transaction.atomic
def create_incident(*, actor: Actor, title: str, severity: str, principal_kind: str,
                    principal_id: str, detected_at: datetime.datetime | None = None,
                    occurred_from: datetime.datetime | None = None,
                    occurred_to: datetime.datetime | None = None, **elements) -> Incident:
    """Open an incident; its reporting deadline is fixed now from the configured rules."""
    if severity not in Severity.values:
        raise IncidentError("SEVERITY_INVALID", "Unknown severity.", field="severity")
    if principal_kind not in PrincipalKind.values or not principal_id.strip():
        raise IncidentError("PRINCIPAL_INVALID", "Name what was compromised.",
                            field="principal_id")
    unknown = set(elements) - set(ELEMENTS)
    if unknown or not title.strip():
        raise IncidentError("FIELDS_INVALID", f"Unknown or empty fields: {sorted(unknown)}")
    _check_window(principal_kind, occurred_from, occurred_to)
    detected_at = detected_at or timezone.now()
    every = rules.progress_every_days()
    incident = Incident.objects.create(
        title=title.strip(), severity=severity, principal_kind=principal_kind,
        principal_id=principal_id.strip(), detected_at=detected_at,
        occurred_from=occurred_from, occurred_to=occurred_to, rule_set=rules.rule_set(),
        report_due_at=rules.report_due(severity, detected_at), progress_every_days=every,
        created_by=str(actor), **elements)
    _note(actor, incident, "created", {"severity": severity, "principal": principal_kind,
                                       "report_due_at": incident.report_due_at.isoformat()})
    return incident


@transaction.atomic
def update_incident(*, actor: Actor, incident: Incident, **changes) -> Incident:
    """Change the description; a new severity moves the deadline (still from detection)."""
    incident = _locked(incident)
    unknown = set(changes) - set(EDITABLE)
    empty = [name for name in ELEMENTS if name in changes and not isinstance(changes[name], str)]
    if unknown or empty or ("title" in changes and not str(changes["title"]).strip()):
        raise IncidentError("FIELDS_INVALID", f"Not editable or empty: "
                            f"{sorted(unknown | set(empty)) or ['title']}")
    if "severity" in changes and changes["severity"] not in Severity.values:
        raise IncidentError("SEVERITY_INVALID", "Unknown severity.", field="severity")
    changed = sorted(name for name, value in changes.items()
                     if getattr(incident, name) != value)
    if not changed:
        return incident
    for name in changed:
        setattr(incident, name, changes[name])
    _check_window(incident.principal_kind, incident.occurred_from, incident.occurred_to)
    fields = list(changed)
    if "severity" in changed:
        incident.report_due_at = rules.report_due(incident.severity, incident.detected_at)
        fields.append("report_due_at")
    incident.save(update_fields=fields)
    _note(actor, incident, "changed", {"fields": changed})
    return incident


@transaction.atomic
def contain(*, actor: Actor, incident: Incident) -> Incident:
    incident = _locked(incident)
    if incident.status != Status.OPEN:
        raise IncidentError("NOT_OPEN", "Only an open incident can be marked contained.",
                            status=409)
    incident.status = Status.CONTAINED
    incident.save(update_fields=["status"])
    _note(actor, incident, "contained")
    return incident


@transaction.atomic
def scope_incident(*, actor: Actor, incident: Incident) -> Incident:
    """List the people whose PI the compromised principal read or changed in the window (or
    whose data the compromised store holds), from the audit trail; replaces an earlier list."""
    from piwarden.audit import scoping

    incident = _locked(incident)
    if incident.principal_kind == PrincipalKind.STORE:
        found = scoping.scope_store(store=incident.principal_id, start=incident.occurred_from,
                                    end=incident.occurred_to)
    else:
        _check_window(incident.principal_kind, incident.occurred_from, incident.occurred_to)
        found = scoping.scope(actor_kind=incident.principal_kind,
                              actor_id=incident.principal_id,
                              start=incident.occurred_from, end=incident.occurred_to)
    AffectedPerson.objects.filter(incident=incident).delete()
    read, changed = {str(s) for s in found.read}, {str(s) for s in found.changed}
    people = sorted(found.people)
    counts: dict[str, int] = {}
    for start in range(0, len(people), CHUNK):
        rows = []
        for subject_id in people[start:start + CHUNK]:
            categories = sorted(found.people[subject_id])
            for category in categories:
                counts[category] = counts.get(category, 0) + 1
            rows.append(AffectedPerson(
                incident=incident, subject_id=subject_id, categories=categories,
                read=str(subject_id) in read, changed=str(subject_id) in changed))
        AffectedPerson.objects.bulk_create(rows)
    incident.scoped_at, incident.people_count = timezone.now(), len(people)
    incident.category_counts = dict(sorted(counts.items()))
    incident.save(update_fields=["scoped_at", "people_count", "category_counts"])
    _note(actor, incident, "scoped", {"people": len(people), "records": found.records,
                                      "read": len(read), "changed": len(changed)},
          action="incidents.affected_listed",  # a read of ids (audit.scoping's rule)
          subjects=people, categories=counts)
    return incident


@transaction.atomic
def decide_notification(*, actor: Actor, incident: Incident, notify: bool,
                        justification: str = "") -> Incident:
    """Record whether the people are told; not telling them needs a justification (Art. 57
    para 2: measures that effectively avoid the harm), kept on the incident and the trail."""
    incident = _locked(incident)
    justification = justification.strip()
    if not notify and not justification:
        raise IncidentError("JUSTIFICATION_REQUIRED", "A decision not to notify the people "
                            "concerned needs a recorded justification (PIPL Art. 57 para 2).",
                            field="justification")
    incident.decision = Decision.NOTIFY if notify else Decision.NOT_NOTIFY
    incident.justification = "" if notify else justification
    incident.decided_at, incident.decided_by = timezone.now(), str(actor)
    incident.save(update_fields=["decision", "justification", "decided_at", "decided_by"])
    _note(actor, incident, "decided", {"decision": incident.decision})
    return incident


@transaction.atomic
def submit_report(*, actor: Actor, incident: Incident, authority: str,
                  submitted_at: datetime.datetime, reference: str = "",
                  receipt: bytes | None = None) -> RegulatorSubmission:
    """Record a report made to an authority and its receipt (PDF, image, e-mail or text)."""
    from piwarden.vault import files

    incident = _locked(incident)
    if not authority.strip():
        raise IncidentError("AUTHORITY_MISSING", "Name the authority.", field="authority")
    kind = digest = ""
    if receipt:
        kind = files.content_type(receipt)
        if len(receipt) > RECEIPT_MAX_BYTES or kind not in files.DOCUMENTS:
            raise IncidentError("RECEIPT_INVALID", "The receipt must be a PDF, JPEG, PNG, "
                                "e-mail or text file of at most 10 MiB.", field="receipt")
        digest = hashlib.sha256(receipt).hexdigest()
    submission = RegulatorSubmission.objects.create(
        incident=incident, authority=authority.strip(), submitted_at=submitted_at,
        reference=reference.strip(), receipt=receipt or None, receipt_type=kind,
        receipt_sha256=digest, recorded_by=str(actor))
    _note(actor, incident, "reported", {"submission": submission.pk,
                                        "late": submitted_at > incident.report_due_at,
                                        "receipt_sha256": digest})
    return submission


def _notice_started(incident: Incident) -> bool:
    from piwarden.notify.models import Campaign, CampaignStatus

    return bool(incident.notice_campaign) and Campaign.objects.filter(
        pk=incident.notice_campaign,
        status__in=(CampaignStatus.SENDING, CampaignStatus.SENT)).exists()


@transaction.atomic
def close(*, actor: Actor, incident: Incident) -> Incident:
    """Close, once the notification decision is recorded (and, when notifying, the notice
    campaign has started) and at least one report reached a regulator."""
    incident = _locked(incident)
    if not incident.decision:
        raise IncidentError("DECISION_MISSING", "Record whether the people concerned are "
                            "notified before closing.", status=409)
    if incident.decision == Decision.NOTIFY and not _notice_started(incident):
        raise IncidentError("NOTICE_NOT_SENT", "The notice to the people concerned has not "
                            "started.", status=409)
    if not incident.submissions.exists():
        raise IncidentError("REPORT_MISSING", "Reporting to the regulator is never optional: "
                            "record the submission before closing.", status=409)
    incident.status, incident.closed_at = Status.CLOSED, timezone.now()
    incident.save(update_fields=["status", "closed_at"])
    _note(actor, incident, "closed")
    return incident


@transaction.atomic
def record_drill(*, actor: Actor, held_on: datetime.date, scenario: str, participants: int,
                 findings: str = "") -> Drill:
    if not scenario.strip() or participants < 1:
        raise IncidentError("DRILL_INVALID", "A drill has a scenario and participants.")
    drill = Drill.objects.create(held_on=held_on, scenario=scenario.strip(),
                                 participants=participants, findings=findings,
                                 recorded_by=str(actor))
    audit.record(actor=actor, action="incidents.drill_recorded", obj=drill,
                 detail={"held_on": held_on.isoformat(), "participants": participants})
    return drill


@transaction.atomic
def save_playbook(*, actor: Actor, severity: str, steps: str) -> Playbook:
    if severity not in Severity.values or not steps.strip():
        raise IncidentError("PLAYBOOK_INVALID", "A playbook has a severity and steps.")
    playbook, _ = Playbook.objects.update_or_create(
        severity=severity, defaults={"steps": steps.strip(), "updated_by": str(actor),
                                     "updated_at": timezone.now()})
    audit.record(actor=actor, action="incidents.playbook_saved", obj=playbook,
                 detail={"severity": severity})
    return playbook


@transaction.atomic
def draft_notice(*, actor: Actor, incident: Incident,
                 channels: tuple[str, ...] = ("email", "sms", "site", "announcement")):
    """Draft the Art. 57 notice to the people the scoping found, as a notify campaign filled
    from the incident (categories named in words, both languages); staff then preview,
    approve and start it in the campaign console. Refused while an element is empty."""
    from piwarden.notify import services as notify
    from piwarden.notify import templates

    incident = _locked(incident)
    if incident.decision == Decision.NOT_NOTIFY:
        raise IncidentError("NOT_NOTIFYING", "The decision was not to notify.", status=409)
    if _notice_started(incident):
        raise IncidentError("NOTICE_STARTED", "The notice has gone out; tell the people more "
                            "with a progress update.", status=409)
    if incident.scoped_at is None:
        raise IncidentError("SCOPE_MISSING", "Scope the incident first: the notice goes to "
                            "the people it found.", status=409)
    fields = notices.fields_for(incident)
    missing = templates.missing(templates.get(notices.TEMPLATE), fields)
    if missing:
        raise IncidentError("ELEMENT_MISSING", "Every element of an Art. 57 notice is "
                            "needed in Chinese and English.", detail={"missing": missing})
    campaign = notify.create_campaign(
        actor=actor, kind="incident", template=notices.TEMPLATE, fields=fields,
        audience=notices.AUDIENCE, audience_params={"incident": incident.pk},
        channels=list(channels), concerns=incident, title=f"Incident #{incident.pk}: notice")
    incident.notice_campaign = str(campaign.pk)
    incident.progress_due_at = incident.progress_due_at or timezone.now() + datetime.timedelta(
        days=incident.progress_every_days)
    incident.save(update_fields=["notice_campaign", "progress_due_at"])
    _note(actor, incident, "notice_drafted", {"campaign": str(campaign.pk)})
    return campaign


@transaction.atomic
def send_progress(*, actor: Actor, incident: Incident, text_en: str, text_zh: str,
                  channels: tuple[str, ...] = ("email", "sms", "site")) -> ProgressUpdate:
    """Record a progress update; when the people were notified, draft its campaign to the
    same audience. The next update is then due after the incident's cadence."""
    from piwarden.notify import services as notify

    incident = _locked(incident)
    text_en, text_zh = text_en.strip(), text_zh.strip()
    if not text_en or not text_zh:
        raise IncidentError("TEMPLATE_FIELD_MISSING", "The update needs its text in Chinese "
                            "and English.", field="text_zh")
    campaign = ""
    if incident.decision == Decision.NOTIFY and incident.notice_campaign:
        campaign = str(notify.create_campaign(
            actor=actor, kind="incident", template=notices.PROGRESS_TEMPLATE,
            fields={"en": {"update": text_en, "contact": incident.contact_en},
                    "zh-hans": {"update": text_zh, "contact": incident.contact}},
            audience=notices.AUDIENCE, audience_params={"incident": incident.pk},
            channels=list(channels), concerns=incident,
            title=f"Incident #{incident.pk}: progress update").pk)
    now = timezone.now()
    update = ProgressUpdate.objects.create(incident=incident, text_en=text_en,
                                           text_zh=text_zh, campaign=campaign,
                                           created_by=str(actor), created_at=now)
    incident.progress_due_at = now + datetime.timedelta(days=incident.progress_every_days)
    incident.save(update_fields=["progress_due_at"])
    _note(actor, incident, "progress", {"update": update.pk, "campaign": campaign})
    return update


def _open_alert(kind: str, reference: str = "") -> bool:
    from piwarden.alerts.models import Alert, AlertStatus

    alerts = Alert.objects.filter(kind=kind).exclude(status=AlertStatus.RESOLVED)
    return any(not reference or reference in alert.objects_concerned for alert in alerts)


@transaction.atomic
def run_checks(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic checks: a report past its deadline escalates (once per incident), a
    progress update past its cadence and a drill older than the configured age raise an
    alert (one open alert at a time)."""
    from piwarden.alerts.services import raise_alert

    now = now or timezone.now()
    done = {"report_overdue": 0, "progress_overdue": 0, "drill_overdue": 0}
    reported = RegulatorSubmission.objects.filter(incident=OuterRef("pk"))
    overdue = (Incident.objects.select_for_update().exclude(status=Status.CLOSED)
               .filter(~Exists(reported), report_due_at__lt=now, escalated_at__isnull=True))
    for incident in overdue:
        raise_alert(kind="incidents.report_overdue", severity="high", source="incidents.checks",
                    summary=f"Incident #{incident.pk}: the regulator report was due "
                            f"{timezone.localtime(incident.report_due_at):%Y-%m-%d %H:%M} "
                            "(China time) and is not recorded.",
                    objects=[incident], actor=actor,
                    detail={"severity": incident.severity, "rule_set": incident.rule_set})
        incident.escalated_at = now
        incident.save(update_fields=["escalated_at"])
        _note(actor, incident, "escalated", {"report_due_at": incident.report_due_at.isoformat()})
        done["report_overdue"] += 1
    for incident in Incident.objects.exclude(status=Status.CLOSED).filter(
            progress_due_at__lt=now):
        reference = f"incidents.incident:{incident.pk}"
        if not _open_alert("incidents.progress_overdue", reference):
            raise_alert(kind="incidents.progress_overdue", severity="medium",
                        source="incidents.checks", objects=[incident], actor=actor,
                        summary=f"Incident #{incident.pk}: a progress update to the people "
                                f"concerned is overdue.")
            done["progress_overdue"] += 1
    last = Drill.objects.order_by("-held_on").values_list("held_on", flat=True).first()
    limit = timezone.localdate(now) - datetime.timedelta(days=rules.drill_max_age_days())
    if (last is None or last < limit) and not _open_alert("incidents.drill_overdue"):
        raise_alert(kind="incidents.drill_overdue", severity="medium", source="incidents.checks",
                    actor=actor, detail={"last_drill": last.isoformat() if last else None},
                    summary="The last incident response drill was held more than "
                            f"{rules.drill_max_age_days()} days ago (or never).")
        done["drill_overdue"] += 1
    if any(done.values()):  # a run that finds nothing leaves nothing (it runs every 15 min)
        audit.record(actor=actor, action="incidents.checked", detail=done)
    return done
