"""Catalog reads the vault shares between reveal() and the console's reveal form."""

from piwarden.catalog.models import ProcessingActivity, Purpose


def category_with_ancestors(category: str) -> list[str]:
    """``user.contact.phone`` → itself, ``user.contact``, ``user``: an activity that names a
    parent category covers its children."""
    parts = category.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _covering_activities(category: str):
    return ProcessingActivity.objects.filter(
        retired=False, purpose__retired=False,
        categories__key__in=category_with_ancestors(category),
    )


def purpose_covers(purpose: str, category: str) -> bool:
    """True when some active processing activity of ``purpose`` includes ``category``."""
    return _covering_activities(category).filter(purpose__key=purpose).exists()


def covers_all_pi(purpose: Purpose) -> bool:
    """Whether an activity of the purpose names the root category ``user`` (all PI)."""
    return purpose.activities.filter(retired=False, categories__key="user").exists()


def purposes_covering(category: str) -> list[Purpose]:
    """The purposes a value of ``category`` may be revealed for, in catalog order."""
    keys = _covering_activities(category).values_list("purpose__key", flat=True)
    return list(Purpose.objects.filter(key__in=keys, retired=False))
