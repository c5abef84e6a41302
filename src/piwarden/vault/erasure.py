"""The vault's part in erasing data held only on a withdrawn consent."""

from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.subjects.models import Subject
from piwarden.vault import fields, services
from piwarden.vault.models import VaultValue


def erase_categories(*, actor: Actor, subject: Subject, categories: set[str]) -> int:
    """Delete the subject's vault values whose category the erasure covers."""
    names = [f.name for f in fields.all_fields() if covered(f.category, categories)]
    stored = VaultValue.objects.filter(subject=subject, field__in=names).values_list(
        "field", flat=True)
    return sum(services.delete(actor=actor, subject=subject, field=name,
                               purpose="consent.management") for name in stored)
