"""What a transfer record's mechanism allows today: validity, and how many people a year.

The thresholds are data (``catalog/transfer-thresholds.yaml``, with their source), read again
when the file changes. Mechanisms have a tier: 0 needs nothing (below the thresholds), 1 is a
filed standard contract or a certification, 2 a CAC security assessment; an exemption waives
the volume limits (never the notice or the impact assessment).
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings

from piwarden.transfers.models import ImportantData, Mechanism, TransferRecord

TIER = {Mechanism.BELOW_THRESHOLD: 0, Mechanism.STANDARD_CONTRACT: 1,
        Mechanism.GBA_CONTRACT: 1, Mechanism.CERTIFICATION: 1,
        Mechanism.SECURITY_ASSESSMENT: 2}
EXEMPT = frozenset({Mechanism.EXEMPT_CONTRACT, Mechanism.EXEMPT_HR,
                    Mechanism.EXEMPT_EMERGENCY})
REQUIRES = {"contract_or_certification": 1, "security_assessment": 2}
FILED = frozenset({Mechanism.STANDARD_CONTRACT, Mechanism.GBA_CONTRACT})
UNLIMITED = 1 << 62


@dataclass(frozen=True)
class Threshold:
    sensitive: bool
    from_person: int
    tier: int
    source: str


@dataclass(frozen=True)
class Thresholds:
    source: str
    entries: tuple[Threshold, ...]
    important_data_tier: int
    ciio_tier: int
    filing_workdays: int
    assessment_years: int
    exemptions: dict
    count_exempt: bool

    def limit(self, tier: int, sensitive: bool) -> int:
        """How many distinct people of a kind a year a mechanism of ``tier`` allows: the
        first threshold above its tier, minus one (thresholds are inclusive)."""
        above = [t.from_person for t in self.entries if t.sensitive == sensitive and
                 t.tier > tier]
        return min(above) - 1 if above else UNLIMITED


_cache: dict[tuple, Thresholds] = {}


def thresholds() -> Thresholds:
    path = Path(getattr(settings, "PIWARDEN_TRANSFER_THRESHOLDS_FILE", "") or
                settings.PIWARDEN_CATALOG_FILE.parent / "transfer-thresholds.yaml")
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        _cache.clear()
        _cache[key] = Thresholds(
            source=" ".join(str(data["source"]).split()),
            entries=tuple(Threshold(t["kind"] == "sensitive", int(t["from_person"]),
                                    REQUIRES[t["requires"]], t["source"])
                          for t in data["thresholds"]),
            important_data_tier=REQUIRES[data["important_data_requires"]],
            ciio_tier=REQUIRES[data["ciio_requires"]],
            filing_workdays=int(data["standard_contract_filing_workdays"]),
            assessment_years=int(data["security_assessment_years"]),
            exemptions=dict(data.get("exemptions") or {}),
            count_exempt=bool(data.get("count_exempt", True)))
    return _cache[key]


def ciio() -> bool:
    """The operator is a critical information infrastructure operator (always assessed)."""
    return bool(getattr(settings, "PIWARDEN_CIIO", False))


def expires_on(record: TransferRecord) -> datetime.date | None:
    """When the mechanism stops: an assessment three years after its approval (unless an
    earlier date is recorded), a contract or certificate at its recorded end."""
    if record.mechanism == Mechanism.SECURITY_ASSESSMENT and record.effective_on:
        start = record.effective_on
        years = thresholds().assessment_years
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + years, day=28)
        end -= datetime.timedelta(days=1)
        return min(end, record.valid_until) if record.valid_until else end
    return record.valid_until


def filing_due(record: TransferRecord) -> datetime.date | None:
    """The last day to file a standard contract: 10 working days after it takes effect, or
    after it changed."""
    from piwarden.rights.deadlines import due_date

    start = max(d for d in (record.effective_on, record.changed_on) if d) \
        if (record.effective_on or record.changed_on) else None
    if record.mechanism not in FILED or start is None:
        return None
    return due_date(start, thresholds().filing_workdays)[0]


def problems(record: TransferRecord, today: datetime.date) -> list[tuple[str, str]]:
    """(code, message) for each reason the record lets nothing through today."""
    found = []
    rules = thresholds()
    mechanism = record.mechanism
    if record.status != "active":
        found.append(("TRANSFER_SUSPENDED", "The transfer record is suspended."))
    if record.important_data == ImportantData.UNDECLARED:
        found.append(("IMPORTANT_DATA_UNDECLARED", "Declare whether important data is "
                      "involved ('none' explicitly)."))
    if not (record.notice_zh.strip() and record.notice_en.strip()):
        found.append(("ART39_NOTICE_MISSING", "The Art. 39 notice says how to exercise "
                      "rights against the recipient, in both languages."))
    if mechanism in EXEMPT:
        if not record.exemption_reason.strip():
            found.append(("EXEMPTION_UNJUSTIFIED", "Say why the exemption applies."))
        return found
    tier = TIER[mechanism]
    if record.important_data == ImportantData.INVOLVED and tier < rules.important_data_tier:
        found.append(("SECURITY_ASSESSMENT_REQUIRED", "Important data leaves only after a "
                      "CAC security assessment."))
    if ciio() and tier < rules.ciio_tier:
        found.append(("SECURITY_ASSESSMENT_REQUIRED", "A critical information infrastructure "
                      "operator transfers only after a CAC security assessment."))
    if tier and not record.reference.strip():
        found.append(("MECHANISM_UNFILED", "Record the filing, certificate or approval "
                      "reference."))
    if mechanism in FILED:
        changed = bool(record.changed_on and not record.filed_on)
        if not record.filed_on:
            found.append(("MECHANISM_UNFILED", "The standard contract is not filed"
                          + (" since it changed" if changed else "") + f" (due by "
                          f"{filing_due(record)})."))
    if tier and (record.effective_on is None or record.effective_on > today):
        found.append(("MECHANISM_NOT_IN_FORCE", "The mechanism has not taken effect."))
    end = expires_on(record)
    if tier and end is not None and end < today:
        found.append(("MECHANISM_EXPIRED", f"The mechanism expired on {end}."))
    return found


def counted(record: TransferRecord) -> bool:
    """Whether this record's people count toward the handler's totals."""
    return record.mechanism not in EXEMPT or thresholds().count_exempt


def limits(record: TransferRecord) -> tuple[int, int]:
    """(non-sensitive, sensitive) people a year the record's mechanism allows the handler."""
    if record.mechanism in EXEMPT:
        return UNLIMITED, UNLIMITED
    rules = thresholds()
    tier = TIER[record.mechanism]
    return rules.limit(tier, False), rules.limit(tier, True)
