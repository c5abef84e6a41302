"""The disclosure register in the subject-data registry: "who received my data" in the export.

Provisions the law keeps from the person (to an authority, PIPL Art. 18 and 45) are withheld
and only counted. An erasure keeps the register (it is the evidence of each provision, and the
list of recipients that deletion requests are forwarded to) for three years from each
provision, under a legal duty, and says so in the certificate.
"""

from datetime import timedelta

from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.catalog.models import Recipient
from piwarden.sharing.models import DeletionRequest, Disclosure, Provision
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "sharing.disclosures"
CATEGORY = "user.disclosure_record"
KEEP_DAYS = 3 * 366


def export(subject: Subject) -> dict[str, list[dict]]:
    """The register as the person reads it: names in both languages, China time."""
    from piwarden.catalog.models import Purpose
    from piwarden.sharing import labels

    names = {r.key: r for r in Recipient.objects.all()}
    purposes = {p.key: p for p in Purpose.objects.all()}
    categories = labels.CategoryNames()
    rows, withheld = [], 0
    for row in Disclosure.objects.filter(subject=subject).order_by("provided_at", "id"):
        if row.confidential:
            withheld += 1
            continue
        recipient, purpose = names.get(row.recipient), purposes.get(row.purpose)
        rows.append({
            "recipient": recipient.name if recipient else row.recipient,
            "recipient_zh": recipient.name_zh if recipient else row.recipient,
            "contact": recipient.contact if recipient else "",
            "purpose": purpose.name_en if purpose else row.purpose,
            "purpose_zh": purpose.name_zh if purpose else row.purpose,
            "categories": ", ".join(categories.names(row.categories, "en")),
            "categories_zh": "、".join(categories.names(row.categories, "zh-hans")),
            "provided_at": labels.china_time(row.provided_at).isoformat(timespec="seconds")})
    deletions = [{"recipient": names[d.recipient].name if d.recipient in names else d.recipient,
                  "reason": d.get_reason_display(), "status": d.get_status_display(),
                  "asked_at": labels.china_time(d.asked_at).isoformat(timespec="seconds"),
                  "confirmed_at": labels.china_time(d.confirmed_at).isoformat(
                      timespec="seconds") if d.confirmed_at else None}
                 for d in DeletionRequest.objects.filter(subject=subject).order_by("asked_at")]
    tables = {"recipients": rows}
    if withheld:
        tables["withheld"] = [{"provisions_withheld_by_law": withheld}]
    if deletions:
        tables["deletion_requests"] = deletions
    return tables


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    last = (Disclosure.objects.filter(subject=subject).order_by("-provided_at")
            .values_list("provided_at", flat=True).first())
    if last is None:
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation",
        until=(last + timedelta(days=KEEP_DAYS)).date(),
        reason="The register of provisions to other parties is evidence of each provision "
               "and lists where this deletion was forwarded (PIPL Art. 55-56).")])


def _due_packages(*, before) -> int:
    from piwarden.sharing.services.gateway import HELD

    return Provision.objects.filter(status__in=HELD, expires_at__lte=timezone.now()).count()


def _expire_packages(*, actor: Actor, before, limit: int) -> int:
    from piwarden.sharing import services

    return services.expire_packages(actor=actor)


def register() -> None:
    registry.register(registry.Source(
        name=NAME, models=(Disclosure, DeletionRequest), categories=(CATEGORY,),
        export=export, erase=erase))
    # The hourly retention run deletes packages whose link expired
    # (PIWARDEN_SHARING_LINK_HOURS); the activity's period only makes it a time-based kind.
    registry.register_retention(registry.Retention(
        name="sharing.packages", activity="sharing.disclosure_register", due=_due_packages,
        expire=_expire_packages))
