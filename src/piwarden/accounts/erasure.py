"""The accounts app's part in erasing data held only on a withdrawn consent (consent.erasure)."""

from piwarden.accounts.models import Account
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.subjects.models import Subject


def erase_categories(*, actor: Actor, subject: Subject, categories: set[str]) -> int:
    """Forget the ID type when ID information goes (the vault erases the number itself), so
    the profile no longer claims an ID and the person can enter one again."""
    if not covered("user.id_info", categories):
        return 0
    cleared = Account.objects.filter(subject=subject).exclude(id_type="").update(id_type="")
    if cleared:
        audit.record(actor=actor, action="account.id_info_erased", subject=subject,
                     categories=["user.id_info"], purpose="consent.management",
                     legal_basis="legal_obligation", detail={"field": "id_type"})
    return cleared
