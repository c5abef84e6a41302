"""Statistics for third parties (policy §2.5(5), §4.1(2)a; C-2.5.5, S-4.1.2a): counts, never
rows about people, so what leaves is anonymized data (PIPL Art. 4, 73(4)).

- Dimensions come from an allowlist per dataset of coarse columns. Any other name (a subject or
  user id, an IP, an event id, a URL with its query, coordinates, a typo) is refused as
  identifying; so is a listed one whose values come from a category the catalog grades
  sensitive.
- The database groups and counts (GROUP BY, COUNT DISTINCT person), on SQLite and PostgreSQL.
- Small cells are suppressed: a cell counting fewer than ``PIWARDEN_STATISTICS_MIN_CELL``
  distinct people is left out.
- Complementary disclosure: an export holds only the cells of the cross-tabulation asked for,
  no total, subtotal or margin, so no subtraction within it recovers a suppressed cell (this
  rather than secondary suppression: simpler, and nothing to get wrong). The window's head
  count goes to the register (``Provision.considered``), never into the package.
- Only people whose state allows the flow's purpose are counted: the catalog makes producing
  these statistics a purpose of its own, resting on consent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, CharField, Count, DateField, F, Q, Value, When
from django.db.models.functions import Coalesce, Left, StrIndex, Trunc
from django.utils import timezone

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.catalog import selectors as catalog
from piwarden.catalog.models import DataCategory, Grade, ProcessingActivity
from piwarden.collection.models import Event
from piwarden.collection.services import ACTIVITIES, MAX_CLOCK_SKEW
from piwarden.consent import decisions
from piwarden.consent.models import Choice, ConsentState
from piwarden.sharing import services as sharing
from piwarden.sharing.models import Flow, Provision
from piwarden.subjects.models import SubjectStatus


@dataclass(frozen=True)
class _Dimension:
    expression: object
    source: str = ""  # the ingestion field its values come from: the catalog names its category


def _periods(field: str) -> dict[str, _Dimension]:
    """Day, ISO week (from Monday) and month of a time, in the site's time zone."""
    return {kind: _Dimension(Trunc(field, kind, output_field=DateField()))
            for kind in ("day", "week", "month")}


# The URL without its query string (kept parameters may carry ids); fragments never arrive.
_PAGE = Case(When(url__contains="?", then=Left("url", StrIndex("url", Value("?")) - 1)),
             default=F("url"), output_field=CharField())


def _event_window(start: datetime, end: datetime) -> Q:
    # Ingestion refuses times more than MAX_CLOCK_SKEW ahead, so no event was received earlier
    # than that before it occurred: the bound lets the (activity, received_at) index narrow
    # the scan without changing the result.
    return Q(occurred_at__gte=start, occurred_at__lt=end, activity__in=ACTIVITIES,
             received_at__gte=start - MAX_CLOCK_SKEW)


def _account_window(start: datetime, end: datetime) -> Q:
    return Q(created_at__gte=start, created_at__lt=end)


@dataclass(frozen=True)
class _Dataset:
    model: type
    dimensions: dict[str, _Dimension]
    window: Callable[[datetime, datetime], Q]
    person: object  # what makes two rows the same person
    counts_events: bool


DATASETS = {
    "events": _Dataset(
        model=Event,
        dimensions={
            "kind": _Dimension(F("kind")),
            "browser": _Dimension(F("browser"), "user_agent"),
            "os": _Dimension(F("os"), "user_agent"),
            "device_type": _Dimension(F("device_type"), "user_agent"),
            "language": _Dimension(F("language"), "language"),
            "network_type": _Dimension(F("network_type"), "network_type"),
            "page": _Dimension(_PAGE, "url"),
            **_periods("occurred_at"),
        },
        window=_event_window,
        # A browser carried over to an account at sign-in is that account holder, not a
        # second person.
        person=Coalesce("subject__visitor__linked_to", "subject"),
        counts_events=True,
    ),
    "accounts": _Dataset(model=Account, dimensions=_periods("created_at"),
                         window=_account_window, person=F("subject"), counts_events=False),
}


@dataclass(frozen=True)
class _Plan:
    """A checked request: the dataset, its dimensions and the window."""

    name: str
    dataset: _Dataset
    dimensions: list[str]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Aggregate:
    """The table that may leave (``rows``) and what the register needs besides."""

    dataset: str
    dimensions: list[str]
    start: datetime
    end: datetime
    min_cell: int
    rows: list[dict]
    suppressed: int  # cells left out for counting fewer than min_cell people
    people: int  # distinct people counted in the window: for the register, not the package

    def description(self) -> dict:
        """What the package says about its table (no total: see the module docstring)."""
        return {"dataset": self.dataset, "dimensions": self.dimensions,
                "measures": ["people", "events"] if DATASETS[self.dataset].counts_events
                else ["people"],
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "time_zone": settings.TIME_ZONE, "min_cell": self.min_cell,
                "suppressed_cells": self.suppressed}


@dataclass(frozen=True)
class Export:
    provision: Provision
    cells: int
    suppressed: int
    link_token: str  # the download link's token, shown once; empty when pushed


def _refuse(code: str, message: str, **detail) -> sharing.SharingError:
    return sharing.SharingError(code, message, status=422, detail=detail or None)


def _sensitive_sources(sources: set[str]) -> dict[str, list[str]]:
    """Ingestion field → the categories it feeds (per the catalog's collection section) that
    are sensitive or hold a sensitive category below them."""
    section, _ = catalog.collection_rules()
    feeds: dict[str, set[str]] = {}
    for kind in section.get("event_kinds", []):
        for field, category in kind["fields"].items():
            if field in sources:
                feeds.setdefault(field, set()).add(category)
    sensitive = list(DataCategory.objects.filter(grade=Grade.SENSITIVE, retired=False)
                     .values_list("key", flat=True))
    found = {}
    for field, categories in feeds.items():
        hit = sorted(c for c in categories
                     if any(key == c or key.startswith(c + ".") for key in sensitive))
        if hit:
            found[field] = hit
    return found


def _plan(dataset: str, dimensions, start, end) -> _Plan:
    spec = DATASETS.get(dataset)
    if spec is None:
        raise _refuse("UNKNOWN_DATASET", f"Datasets: {', '.join(DATASETS)}.")
    names = list(dict.fromkeys(dimensions))
    if not names:
        raise _refuse("NO_DIMENSION", "Ask for at least one dimension.",
                      allowed=list(spec.dimensions))
    refused = [str(name)[:64] for name in names if name not in spec.dimensions]
    if refused:
        raise _refuse("IDENTIFYING_DIMENSION",
                      f"Statistics are never broken down by {', '.join(refused)}: only by "
                      f"{', '.join(spec.dimensions)}.", refused=refused,
                      allowed=list(spec.dimensions))
    sources = {spec.dimensions[name].source for name in names} - {""}
    sensitive = _sensitive_sources(sources) if sources else {}
    if sensitive:
        refused = [name for name in names if spec.dimensions[name].source in sensitive]
        raise _refuse("IDENTIFYING_DIMENSION",
                      f"{', '.join(refused)} come from sensitive personal information.",
                      refused=refused, categories=sorted({c for cs in sensitive.values()
                                                          for c in cs}))
    if not (isinstance(start, datetime) and isinstance(end, datetime)) \
            or timezone.is_naive(start) or timezone.is_naive(end) or start >= end:
        raise _refuse("INVALID_WINDOW", "start and end are times with a time zone, start "
                      "before end.")
    return _Plan(dataset, spec, names, start, end)


def _min_cell() -> int:
    k = settings.PIWARDEN_STATISTICS_MIN_CELL
    if k < 2:
        raise ImproperlyConfigured("PIWARDEN_STATISTICS_MIN_CELL must be at least 2: a cell "
                                   "of one person describes that person.")
    return k


def _allowed(purpose: str) -> Q:
    """People the purpose may process now: active, with the consent scopes the catalog asks
    for it. A §4.4 exception is not looked at (such people are left out, which is safe)."""
    rule = decisions.rules().purposes.get(purpose)
    if rule is None:
        raise decisions.UnknownKey("purposes", [purpose])
    allowed = Q(subject__status=SubjectStatus.ACTIVE)
    for scope in rule.scopes:
        allowed &= Q(subject__in=ConsentState.objects.filter(
            purpose=purpose, scope=scope, recipient="", choice=Choice.GRANT).values("subject"))
    return allowed


def _value(value):
    return value.isoformat() if isinstance(value, date) else value


def _count(plan: _Plan, purpose: str) -> Aggregate:
    spec, k = plan.dataset, _min_cell()
    base = spec.model.objects.filter(_allowed(purpose), spec.window(plan.start, plan.end))
    measures = {"people": Count(spec.person, distinct=True)}
    if spec.counts_events:
        measures["events"] = Count("pk")
    groups = {f"d_{name}": spec.dimensions[name].expression for name in plan.dimensions}
    cells = base.values(**groups).annotate(**measures).order_by(*groups)
    rows, suppressed = [], 0
    for cell in cells.iterator():
        if cell["people"] < k:
            suppressed += 1
            continue
        row = {name: _value(cell[f"d_{name}"]) for name in plan.dimensions}
        rows.append(row | {measure: cell[measure] for measure in measures})
    people = base.aggregate(people=measures["people"])["people"]
    return Aggregate(dataset=plan.name, dimensions=plan.dimensions, start=plan.start,
                     end=plan.end, min_cell=k, rows=rows, suppressed=suppressed, people=people)


def aggregate(*, dataset: str, dimensions: list[str], start: datetime, end: datetime,
              purpose: str) -> Aggregate:
    """Count ``dataset`` in [start, end) by ``dimensions``, counting only the people
    ``purpose`` may process, with small cells suppressed. Writes nothing."""
    return _count(_plan(dataset, dimensions, start, end), purpose)


def export_statistics(*, actor: Actor, flow: Flow, dataset: str, dimensions: list[str],
                      start: datetime, end: datetime) -> Export:
    """Provide statistics on ``flow``: only an active flow whose every category is
    anonymized may carry them. The provision, its sealed package and the audit record are
    written by ``record_aggregate_provision``; a refused request writes nothing, except the
    audited refusal of an inactive flow."""
    plan = _plan(dataset, dimensions, start, end)
    sharing.check_flow(actor, flow)
    asked = set(flow.categories)
    anonymized = set(DataCategory.objects.filter(key__in=asked, anonymized=True, retired=False)
                     .values_list("key", flat=True))
    if not asked or anonymized != asked:
        raise sharing.SharingError(
            "FLOW_NOT_STATISTICS", "Statistics go only on a flow whose every category is "
            f"anonymized; {flow} carries {', '.join(sorted(asked - anonymized)) or 'nothing'}.")
    purpose = ProcessingActivity.objects.values_list("purpose__key", flat=True).get(
        key=flow.activity)
    result = _count(plan, purpose)
    provision = sharing.record_aggregate_provision(
        actor=actor, flow=flow, rows=result.rows, people=result.people,
        description=result.description())
    return Export(provision=provision, cells=len(result.rows), suppressed=result.suppressed,
                  link_token=provision.link_token)
