"""Staff governance: the personnel registry, role grants and the quarterly access review.

A role is held through a ``Grant``; the role's Django group (``role:<key>``) is only the
storage Django's permission checks read, and follows the active grants (``applied``). A grant
ends when it expires, is revoked, its holder is offboarded or a review revokes it; its group
membership ends at the same moment (``roles.middleware`` catches an expiry on the holder's
next request, the periodic job catches the rest). Written only by ``roles.services``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.roles.registry import ROLES


class StaffMember(models.Model):
    """One staff user's confidentiality agreement and training: prerequisites of any grant
    of a role that reaches PI. The signed agreement is sealed in the row under a key of its
    own, wrapped by the vault's master key (as authorities documents are)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="staff_member", verbose_name=_("staff user"))
    agreement_signed_on = models.DateField(_("confidentiality agreement signed on"), null=True)
    agreement_id = models.UUIDField(default=uuid.uuid4, editable=False)
    agreement = models.BinaryField(editable=False, default=b"")
    agreement_key = models.BinaryField(editable=False, default=b"")
    agreement_key_version = models.PositiveIntegerField(default=0)
    agreement_type = models.CharField(_("document type"), max_length=40, blank=True)
    agreement_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    trained_on = models.DateField(_("privacy training on"), null=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("personnel registry")

    def __str__(self):
        return str(self.user)

    @property
    def cleared(self) -> bool:
        """Agreement signed (with its document) and training done."""
        return bool(self.agreement_signed_on and self.agreement_sha256 and self.trained_on)


class GrantKind(models.TextChoices):
    NORMAL = "normal", _("Normal")
    BREAK_GLASS = "break_glass", _("Break-glass")


class Grant(models.Model):
    """One staff user holding one role until ``expires_at`` (or until revoked)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="role_grants", verbose_name=_("staff user"))
    key = models.CharField(_("role"), max_length=40,
                           choices=[(role.key, role.name_en) for role in ROLES.values()])
    kind = models.CharField(_("kind"), max_length=16, choices=GrantKind.choices,
                            default=GrantKind.NORMAL)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("approved by"))
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    applied = models.BooleanField(_("active"), default=True,
                                  help_text=_("The role's group membership is in place."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("revoked by"))
    reminded_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["-starts_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], condition=Q(applied=True),
                                               name="roles_one_active_grant_per_role")]
        indexes = [models.Index(fields=["user", "expires_at"], condition=Q(applied=True),
                                name="roles_grant_applied_expiry"),
                   models.Index(fields=["applied", "expires_at"], name="roles_grant_due")]

    def __str__(self):
        return f"{self.user} · {self.key}"


class AccessReview(models.Model):
    """The quarterly review: every grant active when it opened, for a privacy officer to
    confirm or revoke."""

    quarter = models.CharField(_("quarter"), max_length=7, unique=True)  # e.g. 2026-Q4
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("access review")
        verbose_name_plural = _("access reviews")
        ordering = ["-opened_at"]

    def __str__(self):
        return self.quarter


class Decision(models.TextChoices):
    PENDING = "pending", _("To decide")
    CONFIRMED = "confirmed", _("Confirmed")
    REVOKED = "revoked", _("Revoked")


class AccessReviewLine(models.Model):
    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="lines",
                               verbose_name=_("access review"))
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="review_lines",
                              verbose_name=_("role grant"))
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access review line")
        verbose_name_plural = _("access review lines")
        ordering = ["review", "grant__user_id", "grant__key"]
        constraints = [models.UniqueConstraint(fields=["review", "grant"],
                                               name="roles_one_line_per_grant")]

    def __str__(self):
        return f"{self.review} · {self.grant}"


class StaffSession(models.Model):
    """A staff user's login session, so offboarding can end every one of them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"session of {self.user_id}"
