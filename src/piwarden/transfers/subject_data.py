"""Transfers in the subject-data registry: the years a person's PI was counted as leaving
mainland China, and the held-back batches that still name them.

Export: the years and kinds counted (what left, to whom and when is in the sharing register's
export). Erase: the person's counted rows and their place in any batch still held back are
deleted; the year's totals stay (they are the handler's volume for the thresholds, about nobody
in particular), and an erased person is never provided again, so nobody is counted twice.
"""

from piwarden.audit.actors import Actor
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.transfers.models import CountedPerson, Hold

NAME = "transfers.counted"
CATEGORY = "user.disclosure_record"


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = [{"year": year, "sensitive": sensitive} for year, sensitive in
            CountedPerson.objects.filter(subject=subject).order_by("year", "sensitive")
            .values_list("year", "sensitive")]
    return {"cross_border_counted": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    erased, _ = CountedPerson.objects.filter(subject=subject).delete()
    person = str(subject.pk)
    for hold in Hold.objects.select_for_update().filter(released_at__isnull=True):
        if person in hold.subject_ids:
            hold.subject_ids = [s for s in hold.subject_ids if s != person]
            hold.save(update_fields=["subject_ids"])
            erased += 1
    return registry.Erased(erased=erased)


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(CountedPerson,),
                                      categories=(CATEGORY,), export=export, erase=erase))
