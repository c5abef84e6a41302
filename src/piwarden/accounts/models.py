"""End-user accounts. No PI value lives in these tables: phone, e-mail, name, ID number,
address, other contact and the TOTP secret are in the vault; codes, tokens and recovery codes
are digests.
"""

import uuid

from django.conf import settings
from django.db import models

from piwarden.subjects.models import Subject


class IdType(models.TextChoices):
    PRC_RESIDENT_ID = "prc_resident_id", "PRC Resident Identity Card"
    PASSPORT = "passport", "Passport"
    HK_MACAO_PERMIT = "hk_macao_permit", "Mainland Travel Permit for HK/Macao residents"
    TAIWAN_PERMIT = "taiwan_permit", "Mainland Travel Permit for Taiwan residents"


class Channel(models.TextChoices):
    """Where a profile change came from (shown in the person's history)."""

    WEB = "web", "Web pages"
    API = "api", "API"
    GUARDIAN = "guardian", "Guardian confirmation"
    STAFF = "staff", "Staff"


class Account(models.Model):
    """An end user: a Django ``User`` (sessions, CSRF, login) bound to a data ``Subject``.

    ``User.username`` is a random id and the User's name and e-mail stay blank, so Django's
    auth tables hold no PI.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account"
    )
    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="account")
    user_name = models.CharField(max_length=40, blank=True)
    avatar = models.CharField(max_length=100, blank=True)
    id_type = models.CharField(max_length=32, choices=IdType.choices, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    totp_enabled_at = models.DateTimeField(null=True, blank=True)
    # The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Account {self.subject_id}"

    @property
    def is_bound(self) -> bool:
        return self.phone_verified_at is not None and self.email_verified_at is not None

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class CodeChannel(models.TextChoices):
    PHONE = "phone", "SMS"
    EMAIL = "email", "E-mail"


class VerificationCode(models.Model):
    """A one-time code sent to a phone number or e-mail address.

    ``digest`` is a keyed hash of (channel, target value, code): the target value itself is
    never stored, and a code only confirms the value it was sent to.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="codes")
    channel = models.CharField(max_length=8, choices=CodeChannel.choices)
    target_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "channel", "created_at"])]

    def __str__(self):
        return f"{self.channel} code for {self.account_id}"


class ThrottleEvent(models.Model):
    """One counted event (a failed login, a code sent) under a keyed digest, for rate limits."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"])]

    def __str__(self):
        return f"{self.scope} {self.key[:8]}"


class AccountSession(models.Model):
    """A session this account logged in with, so "log out everywhere" can end them all."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"session of {self.account_id}"


class RecoveryCode(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"recovery code of {self.account_id}"


class AccessToken(models.Model):
    """A personal access token for the account API (``Authorization: Bearer pwa_…``)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    reauth_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"token {self.prefix} of {self.account_id}"


class ProfileChange(models.Model):
    """The person's own history of profile changes: field, time, channel, never values."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=32)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.field} changed via {self.channel}"


class ServiceActivation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="activations")
    service = models.CharField(max_length=40)
    activated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "service"], name="one_activation")
        ]

    def __str__(self):
        return f"{self.service} for {self.account_id}"


class GuardianStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the guardian"
    CONFIRMED = "confirmed", "Confirmed by the guardian"
    CANCELLED = "cancelled", "Cancelled"


class GuardianRequest(models.Model):
    """A child's ID submission waiting for a guardian's consent (PIPL Art. 31).

    Holds no ID number: only a keyed digest, so the guardian must enter the same number
    again, and only then is it stored (in the vault) with the guardian's consent.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="guardian_requests")
    service = models.CharField(max_length=40)
    id_type = models.CharField(max_length=32, choices=IdType.choices)
    id_digest = models.CharField(max_length=64)
    token_prefix = models.CharField(max_length=12, unique=True)
    token_digest = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=GuardianStatus.choices, default=GuardianStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"guardian request {self.token_prefix} ({self.status})"


class StaffSecondFactor(models.Model):
    """A staff member's TOTP authenticator for the console (roles/second_factor.py).

    Staff are no data subjects, so the secret is not in the vault: it is sealed like an outbox
    message, under a data key of its own bound to this row's id and wrapped by the master key
    (``sealed``, ``wrapped_key``, ``key_version``). ``confirmed_at`` is empty until a first
    code proved the authenticator works; ``last_step`` refuses a replayed code.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="second_factor")
    sealed = models.BinaryField()
    wrapped_key = models.BinaryField()
    key_version = models.PositiveIntegerField()
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "staff second factor"

    def __str__(self):
        return f"second factor of {self.user_id}"
