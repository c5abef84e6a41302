"""PI security incidents, drills and playbooks (docs/incidents.md).

An incident's elements (cause, harm, measures, advice, remedies, contact) are the Art. 57
notice's mandatory content; they describe the incident, never a person. The people concerned
are ``AffectedPerson`` rows, filled from the audit trail by ``services.scope_incident``.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    """The four levels of the Cybersecurity Incident Grading Guide (网络安全事件分级指南)."""

    EXTRAORDINARY = "extraordinary", _("Extraordinarily serious (特别重大)")
    MAJOR = "major", _("Major (重大)")
    SERIOUS = "serious", _("Serious (较大)")
    GENERAL = "general", _("General (一般)")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    CONTAINED = "contained", _("Contained")
    CLOSED = "closed", _("Closed")


class PrincipalKind(models.TextChoices):
    """What was compromised: an actor of the audit trail (audit.actors.ActorKind) or a store."""

    STAFF = "staff", _("Staff account")
    API_CLIENT = "api_client", _("API client or partner key")
    SYSTEM = "system", _("System job")
    PERSON = "person", _("Personal account")
    STORE = "store", _("Data store")


class Decision(models.TextChoices):
    NOTIFY = "notify", _("Notify the people concerned")
    NOT_NOTIFY = "not_notify", _("Do not notify (PIPL Art. 57 para 2)")


class Incident(models.Model):
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    detected_at = models.DateTimeField(_("detected at"))
    occurred_from = models.DateTimeField(_("occurred from"), null=True, blank=True)
    occurred_to = models.DateTimeField(_("occurred until"), null=True, blank=True)
    principal_kind = models.CharField(_("compromised principal kind"), max_length=16,
                                      choices=PrincipalKind.choices)
    principal_id = models.CharField(
        _("compromised principal"), max_length=200,
        help_text=_("API client id, staff user id, job name, or a store key."))
    cause = models.TextField(_("cause (Chinese)"), blank=True)
    cause_en = models.TextField(_("cause (English)"), blank=True)
    possible_harm = models.TextField(_("possible harm (Chinese)"), blank=True)
    possible_harm_en = models.TextField(_("possible harm (English)"), blank=True)
    measures_taken = models.TextField(_("measures taken (Chinese)"), blank=True)
    measures_taken_en = models.TextField(_("measures taken (English)"), blank=True)
    advice = models.TextField(_("what people can do (Chinese)"), blank=True)
    advice_en = models.TextField(_("what people can do (English)"), blank=True)
    remedies = models.TextField(_("remedies (Chinese)"), blank=True)
    remedies_en = models.TextField(_("remedies (English)"), blank=True)
    contact = models.TextField(_("contact (Chinese)"), blank=True)
    contact_en = models.TextField(_("contact (English)"), blank=True)
    decision = models.CharField(_("notification decision"), max_length=16,
                                choices=Decision.choices, blank=True)
    justification = models.TextField(_("justification for not notifying"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=160, blank=True)
    notice_campaign = models.CharField(_("notice campaign"), max_length=64, blank=True)
    rule_set = models.CharField(_("reporting rule set"), max_length=32)
    report_due_at = models.DateTimeField(_("report due at"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    progress_every_days = models.PositiveIntegerField(_("progress update every (days)"))
    progress_due_at = models.DateTimeField(_("next progress update due"), null=True,
                                           blank=True)
    scoped_at = models.DateTimeField(_("scoped at"), null=True, blank=True)
    people_count = models.PositiveIntegerField(_("people concerned"), default=0)
    category_counts = models.JSONField(_("people per category"), default=dict, blank=True)
    created_by = models.CharField(_("created by"), max_length=160)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("close_incident", _("Can close an incident")),
                       ("export_incident", _("Can download incident and evidence packs"))]

    def __str__(self):
        return f"#{self.pk} {self.title}"


class IncidentEvent(models.Model):
    """The timeline: every change of an incident, written by the services (never by hand)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.CharField(_("actor"), max_length=160)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class AffectedPerson(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT,
                                related_name="+")
    categories = models.JSONField(_("categories"), default=list)
    read = models.BooleanField(_("read"), default=False)
    changed = models.BooleanField(_("changed"), default=False)

    class Meta:
        verbose_name = _("person concerned")
        verbose_name_plural = _("people concerned")
        constraints = [models.UniqueConstraint(fields=["incident", "subject"],
                                               name="incidents_affected_once")]

    def __str__(self):
        return str(self.subject_id)


class ProgressUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    text_en = models.TextField(_("update (English)"))
    text_zh = models.TextField(_("update (Chinese)"))
    campaign = models.CharField(_("campaign"), max_length=64, blank=True)
    created_by = models.CharField(_("created by"), max_length=160)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d}"


class RegulatorSubmission(models.Model):
    """A report to an authority, with its receipt: the document is kept as received, its
    SHA-256 recorded in the audit trail (so a swapped file is detectable); it holds no PI."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT,
                                 related_name="submissions")
    authority = models.CharField(_("authority"), max_length=200)
    submitted_at = models.DateTimeField(_("submitted at"))
    reference = models.CharField(_("reference or receipt number"), max_length=200, blank=True)
    receipt = models.BinaryField(_("receipt document"), null=True, blank=True)
    receipt_type = models.CharField(_("receipt type"), max_length=64, blank=True)
    receipt_sha256 = models.CharField(_("receipt SHA-256"), max_length=64, blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=160)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["submitted_at"]
        verbose_name = _("regulator submission")
        verbose_name_plural = _("regulator submissions")

    def __str__(self):
        return f"{self.authority} {self.submitted_at:%Y-%m-%d %H:%M}"


class Playbook(models.Model):
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices,
                                unique=True)
    steps = models.TextField(_("steps"), help_text=_("One step per line."))
    updated_by = models.CharField(_("updated by"), max_length=160)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self):
        return self.get_severity_display()


class Drill(models.Model):
    held_on = models.DateField(_("held on"))
    scenario = models.CharField(_("scenario"), max_length=300)
    participants = models.PositiveIntegerField(_("participants"))
    findings = models.TextField(_("findings"), blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=160)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")

    def __str__(self):
        return f"{self.held_on} {self.scenario}"
