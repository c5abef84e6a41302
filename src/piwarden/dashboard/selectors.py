"""The reads of the operator dashboard: a handful of aggregate queries, whatever the volume.

Nothing here returns PI: counts, dates, keys of the catalog, and the ids of requests, runs and
archives. A row that concerns a person names them by the short form of their subject id only
(the first 8 characters of the UUID), so the page needs no purpose and writes no audit record.
"""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from piwarden.alerts.models import Alert, AlertStatus
from piwarden.audit.models import ChainCheck, ChainHead
from piwarden.consent.models import Choice, ConsentEvent
from piwarden.incidents.models import Incident
from piwarden.incidents.models import Status as IncidentStatus
from piwarden.rights import deadlines
from piwarden.rights.models import OPEN_STATUSES, RightsRequest
from piwarden.subjectdata.models import ArchiveStatus, ErasureRun, ExportArchive, RunStatus

CHINA = ZoneInfo("Asia/Shanghai")
WEEKS = 12
SOON_BUSINESS_DAYS = 2
RIGHTS_ROWS = 25


def short_id(value) -> str:
    """The short form of a subject id shown on the dashboard (never a name or a contact)."""
    return str(value)[:8]


@dataclass(frozen=True)
class DueRow:
    id: str
    type: str
    status: str
    due_date: datetime.date
    provisional: bool
    subject: str
    level: str  # "overdue", "soon" or ""


@dataclass(frozen=True)
class RightsSummary:
    rows: list[DueRow]
    open: int
    overdue: int
    soon: int
    soon_until: datetime.date


def rights_by_due(*, today: datetime.date | None = None,
                  limit: int = RIGHTS_ROWS) -> RightsSummary:
    """Open rights requests, earliest due first: overdue (due before today) and due within
    2 PRC business days (on or before the second workday after today)."""
    today = today or timezone.localdate(timezone=CHINA)
    soon_until, _provisional = deadlines.due_date(today, SOON_BUSINESS_DAYS)
    open_requests = RightsRequest.objects.filter(status__in=OPEN_STATUSES)
    counts = open_requests.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(due_date__lt=today)),
        soon=Count("id", filter=Q(due_date__gte=today, due_date__lte=soon_until)))
    rows = []
    for row in (open_requests.order_by("due_date", "received_at")
                .values("id", "type", "status", "due_date", "due_provisional",
                        "subject_id")[:limit]):
        level = ("overdue" if row["due_date"] < today
                 else "soon" if row["due_date"] <= soon_until else "")
        rows.append(DueRow(str(row["id"]), row["type"], row["status"], row["due_date"],
                           row["due_provisional"], short_id(row["subject_id"]), level))
    return RightsSummary(rows, counts["open"], counts["overdue"], counts["soon"], soon_until)


@dataclass
class PurposeSeries:
    purpose: str
    grants: list[int] = field(default_factory=lambda: [0] * WEEKS)
    withdrawals: list[int] = field(default_factory=lambda: [0] * WEEKS)

    @property
    def total(self) -> int:
        return sum(self.grants) + sum(self.withdrawals)


@dataclass(frozen=True)
class ConsentRates:
    weeks: list[datetime.date]  # the Monday (China time) each column starts on
    series: list[PurposeSeries]


def week_starts(*, today: datetime.date | None = None, weeks: int = WEEKS) -> list[datetime.date]:
    today = today or timezone.localdate(timezone=CHINA)
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def consent_rates(*, today: datetime.date | None = None, weeks: int = WEEKS,
                  limit: int = 12) -> ConsentRates:
    """Grants and withdrawals per purpose and week (weeks start on Monday, China time), in one
    grouped query; the purposes with the most decisions first."""
    starts = week_starts(today=today, weeks=weeks)
    since = datetime.datetime.combine(starts[0], datetime.time.min, tzinfo=CHINA)
    index = {start: i for i, start in enumerate(starts)}
    by_purpose: dict[str, PurposeSeries] = {}
    grouped = (ConsentEvent.objects
               .filter(occurred_at__gte=since, choice__in=[Choice.GRANT, Choice.WITHDRAW])
               .annotate(week=TruncWeek("occurred_at", tzinfo=CHINA))
               .values("purpose", "choice", "week").annotate(n=Count("id"))
               .order_by())
    for row in grouped:
        week = row["week"]
        if isinstance(week, datetime.datetime):
            week = (timezone.localtime(week, CHINA) if timezone.is_aware(week) else week).date()
        i = index.get(week)
        if i is None:
            continue
        series = by_purpose.setdefault(row["purpose"],
                                       PurposeSeries(row["purpose"], [0] * weeks, [0] * weeks))
        target = series.grants if row["choice"] == Choice.GRANT else series.withdrawals
        target[i] += row["n"]
    ordered = sorted(by_purpose.values(), key=lambda s: (-s.total, s.purpose))
    return ConsentRates(starts, ordered[:limit])


@dataclass(frozen=True)
class InProgress:
    count: int
    oldest_id: str | None
    oldest_at: datetime.datetime | None


def _in_progress(queryset) -> InProgress:
    counts = queryset.aggregate(n=Count("id"), oldest=Min("created_at"))
    oldest = (queryset.order_by("created_at").values_list("id", flat=True).first()
              if counts["n"] else None)
    return InProgress(counts["n"], str(oldest) if oldest else None, counts["oldest"])


def erasures_in_progress() -> InProgress:
    return _in_progress(ErasureRun.objects.filter(
        status__in=[RunStatus.PENDING, RunStatus.RUNNING]))


def exports_in_progress() -> InProgress:
    return _in_progress(ExportArchive.objects.filter(status=ArchiveStatus.PENDING))


@dataclass(frozen=True)
class ChainStatus:
    last: ChainCheck | None  # the last finished check
    pending: int  # checks queued and not finished
    head_seq: int | None
    head_hash: str


def chain_status() -> ChainStatus:
    last = (ChainCheck.objects.filter(finished_at__isnull=False)
            .order_by("-finished_at", "-pk").first())
    pending = ChainCheck.objects.filter(finished_at__isnull=True).count()
    head = ChainHead.objects.filter(pk=1).values("seq", "hash").first()
    return ChainStatus(last, pending, head["seq"] if head else None,
                       head["hash"] if head else "")


def open_incidents() -> dict[str, int]:
    """Incidents not closed, counted by severity key."""
    return dict(Incident.objects.exclude(status=IncidentStatus.CLOSED)
                .values_list("severity").annotate(n=Count("id")).order_by())


def open_alerts() -> dict[str, int]:
    """Alerts not resolved, counted by severity key."""
    return dict(Alert.objects.exclude(status=AlertStatus.RESOLVED)
                .values_list("severity").annotate(n=Count("id")).order_by())
