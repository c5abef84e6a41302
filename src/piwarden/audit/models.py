"""The audit trail: one append-only, hash-chained record per action on personal information."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import ActorKind


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit record through the ORM."""


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit records cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit records cannot be updated")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("audit records are written one at a time by audit.services.record")


class AuditEvent(models.Model):
    """One action on PI. Holds keys and names only, never PI values.

    ``hash`` is SHA-256 over the canonical form of every field plus ``prev_hash``, so a changed,
    removed or reordered record breaks the chain at that record. ``seq`` is gap-free and both
    ``seq`` and ``prev_hash`` are unique, so the database itself refuses a forked chain.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=128)
    action = models.CharField(max_length=64)
    subject = models.ForeignKey(
        "subjects.Subject",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=128, blank=True)
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=64, blank=True)
    legal_basis = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        # Constraints and indexes declared here rather than on the fields, so PostgreSQL gets
        # no extra pattern-matching ("_like") index per column: each index slows every append.
        # ``hash`` needs none of its own: each one is the next record's unique ``prev_hash``.
        constraints = [models.UniqueConstraint(fields=["prev_hash"], name="audit_prev_hash_unique")]
        indexes = [models.Index(fields=["occurred_at"]),
                   models.Index(fields=["action"], name="audit_action_idx"),
                   # Impact scoping: one actor's records in a time window (audit.scoping).
                   models.Index(fields=["actor_kind", "actor_id", "occurred_at"],
                                name="audit_actor_time_idx")]

    def __str__(self):
        return f"#{self.seq} {self.action} by {self.actor_kind}:{self.actor_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")


class AuditSubjectQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the people an audit record names cannot be changed")

    def delete(self):
        raise AppendOnlyError("the people an audit record names cannot be removed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("the people an audit record names cannot be changed")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("written only by audit.services.record, with the record")


class AuditSubject(models.Model):
    """One person an audit record's action touched (a batch, a list, an API read of many).

    Written with its record, in the same transaction. The record's ``detail["touched"]``
    holds the count and a SHA-256 of the sorted subject ids, inside the record's hash, so a
    row removed or added here is found by ``verify``.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="touched",
                              db_index=False)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT,
                                related_name="audit_touches", db_index=False)

    objects = AuditSubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("person an audit record names")
        verbose_name_plural = _("people audit records name")
        # The unique pair is the index on ``event`` (scoping reads subject ids from it).
        constraints = [models.UniqueConstraint(fields=["event", "subject"],
                                               name="audit_subject_unique")]
        indexes = [models.Index(fields=["subject"], name="audit_subject_subject_idx")]

    def __str__(self):
        return f"record {self.event_id} touched {self.subject_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("the people an audit record names cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the people an audit record names cannot be removed")


class ChainHead(models.Model):
    """The last link of the chain (a single row), locked by each writer to serialize appends.

    It also lets ``verify`` notice records cut from the end of the trail. ``prev_hash`` is the
    head's hash before the last append: the append moves the head first (which takes the lock)
    and reads the link it needs from what that update returns, in one statement.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self):
        return f"head #{self.seq} {self.hash[:12]}"


class ChainCheck(models.Model):
    """One verification of the chain: evidence that, and when, the trail was found intact."""

    requested_by = models.CharField(max_length=160)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True, help_text="Empty while the check is pending.")
    checked = models.PositiveBigIntegerField(default=0)
    head_seq = models.PositiveBigIntegerField(null=True, blank=True)
    head_hash = models.CharField(max_length=64, blank=True)
    bad_seq = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        state = {None: "pending", True: "intact", False: "BROKEN"}[self.ok]
        return f"check {self.pk}: {state}"


class AnomalyScan(models.Model):
    """Where the anomaly scan (``audit.anomalies``) stopped: a single row, locked per run."""

    seq = models.PositiveBigIntegerField(default=0, help_text="The last record scanned.")
    occurred_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When that record was written.")
    scanned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"anomaly scan at #{self.seq}"


class ActorWatch(models.Model):
    """What the anomaly scan remembers about one staff member or API client, so each burst,
    day and network is alerted once."""

    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=128)
    bulk_until = models.DateTimeField(null=True, blank=True,
                                      help_text="The last moment it was over the bulk limit.")
    off_hours_day = models.DateField(null=True, blank=True,
                                     help_text="The last day (China time) alerted off hours.")
    networks = models.JSONField(default=list, blank=True,
                                help_text="Networks (/24, /64) its logins came from.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor_kind", "actor_id"],
                                               name="audit_one_watch_per_actor")]

    def __str__(self):
        return f"watch {self.actor_kind}:{self.actor_id}"
