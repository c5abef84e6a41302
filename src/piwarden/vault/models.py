"""Encrypted PI: one data key per subject, one ciphertext per subject and field.

Written only by ``vault.services``. No column holds a plaintext value: ``ciphertext`` is
AES-256-GCM under the subject's data key, ``mask`` is the display form chosen at write time
(e.g. ``138****5678``), ``blind_index`` a keyed HMAC for exact-match lookup.
"""

from django.db import models

from piwarden.subjects.models import Subject


class DataKey(models.Model):
    """A subject's data key, wrapped by a master key version; empty once shredded."""

    subject = models.OneToOneField(
        Subject, on_delete=models.CASCADE, primary_key=True, related_name="vault_key"
    )
    # Which generation of data key this is: part of every value's associated data.
    version = models.PositiveSmallIntegerField(default=1)
    master_version = models.PositiveIntegerField(db_index=True)
    wrapped = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "data key"

    def __str__(self):
        state = "shredded" if self.shredded_at else f"master key v{self.master_version}"
        return f"data key of {self.subject_id} ({state})"


class VaultValue(models.Model):
    """One field of one subject, as ciphertext plus its mask and (if indexed) blind index."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="vault_values")
    field = models.CharField(max_length=64)
    ciphertext = models.BinaryField(editable=False)
    key_version = models.PositiveSmallIntegerField()
    mask = models.CharField(max_length=200)
    # "<master key version>:<hex HMAC>" (lookups during a rotation ask for both); "" if the
    # field is not indexed.
    blind_index = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "vault value"
        constraints = [
            models.UniqueConstraint(fields=["subject", "field"], name="vault_one_value_per_field"),
        ]
        indexes = [models.Index(fields=["field", "blind_index"], name="vault_blind_index")]
        permissions = [("reveal_vaultvalue", "Can reveal a full vault value, giving a reason")]

    def __str__(self):
        return f"{self.field} of {self.subject_id}"
