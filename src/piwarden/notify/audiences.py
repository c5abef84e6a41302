"""The registry of audiences: a named query of the people a campaign is for.

``register(key, fn)`` where ``fn(params: dict)`` returns the subject ids, ideally as a
``values_list`` queryset so that a 100,000-person audience is read in chunks by the database
and never held in memory. Built in: ``accounts.all`` (everyone with an active account) and
``subjects.listed`` (``{"subject_ids": [...]}``).
"""

import uuid
from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from piwarden.errors import ServiceError
from piwarden.subjects.models import Subject, SubjectStatus


class AudienceError(ServiceError):
    def __init__(self, code: str, message: str, *, status: int = 422):
        super().__init__(code, message, status=status)


_audiences: dict[str, Callable[[dict], Iterable]] = {}


def register(key: str, fn: Callable[[dict], Iterable]) -> None:
    _audiences[key] = fn


def registered() -> list[str]:
    return sorted(_audiences)


def resolve(key: str, params: dict) -> QuerySet:
    """The audience as a queryset of ``Subject`` ids (not erased), whatever ``fn`` returns:
    ordered by id, so a job can resume after the last id it handed out."""
    try:
        fn = _audiences[key]
    except KeyError:
        raise AudienceError("AUDIENCE_UNKNOWN", f"No audience '{key}' is registered.",
                            status=404) from None
    found = fn(params or {})
    people = Subject.objects.exclude(status=SubjectStatus.ERASED)
    if not isinstance(found, QuerySet):
        found = list(found)
    return people.filter(pk__in=found).order_by("pk").values_list("pk", flat=True)


def _all_accounts(params: dict):
    from piwarden.accounts.models import Account

    return Account.objects.filter(user__is_active=True,
                                  subject__status=SubjectStatus.ACTIVE
                                  ).values_list("subject_id", flat=True)


def _listed(params: dict):
    raw = params.get("subject_ids")
    if not isinstance(raw, list):
        raise AudienceError("AUDIENCE_PARAMS_INVALID", "subjects.listed needs subject_ids, "
                                                       "a list of subject ids.")
    try:
        return [uuid.UUID(str(value)) for value in raw]
    except ValueError:
        raise AudienceError("AUDIENCE_PARAMS_INVALID", "A subject id is not a UUID.") from None


register("accounts.all", _all_accounts)
register("subjects.listed", _listed)
