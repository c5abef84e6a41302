"""The gateway's guard for cross-border flows: the mechanism, the separate consent where the
transfer rests on consent, and the handler's calendar-year counters with the split at a
threshold.

Inside the provision's transaction (``within``) the two counter rows of the year are locked,
so concurrent batches take places one after the other; the people already counted this year
cost nothing, each new person takes a place of each kind the batch carries (non-sensitive,
sensitive, or both), and those beyond the mechanism's limit are held back in a ``Hold`` with an
alert to the privacy officer.
"""

import uuid
from collections import Counter

from django.db import transaction
from django.utils import timezone

from piwarden import bulk
from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.catalog.models import DataCategory
from piwarden.consent import decisions
from piwarden.consent.erasure import covered
from piwarden.sharing import guards
from piwarden.sharing.services import CONSENT_BASES, HANDLER_ROLES
from piwarden.transfers import rules
from piwarden.transfers.models import CountedPerson, Hold, TransferRecord, YearCounter

CROSS_BORDER_PURPOSE = "crossborder.transfer"
_COUNTED = ("year", "sensitive", "subject")


def record_for(flow) -> TransferRecord | None:
    return TransferRecord.objects.filter(flow=flow).first()


def consent_based(flow) -> bool:
    """Separate consent to the transfer is needed only when the transfer rests on consent."""
    return flow.legal_basis in CONSENT_BASES


def kinds(categories: list[str]) -> tuple[bool, bool]:
    """(carries non-sensitive PI, carries sensitive PI): a parent key carries both."""
    rows = [(row.key, row.sensitive) for row in DataCategory.objects.filter(retired=False)]
    asked = set(categories)
    found = {sensitive for key, sensitive in rows if covered(key, asked)}
    return (False in found or not found), True in found


class TransferGuard(guards.Guard):
    key = "transfers"
    order = 100  # last: it counts the people who go, after the others narrowed them

    def applies(self, flow) -> bool:
        return bool(flow.cross_border)

    def problems(self, flow) -> list[guards.Problem]:
        record = record_for(flow)
        if record is None:
            return [guards.Problem("TRANSFER_RECORD_MISSING", "The recipient is outside "
                                   "mainland China: a transfer record with a mechanism "
                                   "(PIPL Art. 38) is needed first.")]
        found = [guards.Problem(code, message)
                 for code, message in rules.problems(record, timezone.localdate())]
        beyond = [c for c in flow.categories if not covered(c, set(record.categories))]
        if beyond:
            found.append(guards.Problem("TRANSFER_CATEGORIES", "The transfer record does not "
                                        "cover: " + ", ".join(beyond) + "."))
        return found

    def counterparty_problems(self, counterparty, recipient) -> list[str]:
        if TransferRecord.objects.filter(flow__recipient=recipient.key).exists():
            return []
        return ["it is outside mainland China: a transfer record with a mechanism (PIPL "
                "Art. 38) is needed for one of its flows first"]

    def within(self, batch: guards.Batch, people: list[uuid.UUID],
               dropped: Counter) -> list[uuid.UUID]:
        record = record_for(batch.flow)
        if batch.context.get(RELEASING) and not _claim(batch, record, people):
            dropped["hold_released"] += len(people)
            return []
        if consent_based(batch.flow) and people:
            people = _with_consent(batch, people, dropped)
        if not people:
            return people
        go, held = count(record, people, batch.categories) if rules.counted(record) \
            else (people, [])
        batch.results["transfer_record"] = record.pk
        if held:
            _hold(batch, record, held)
            dropped["transfer_threshold"] += len(held)
        return go


RELEASING = "transfer_hold"  # the context key ``services.release`` names its hold with


def _claim(batch: guards.Batch, record: TransferRecord, people: list) -> bool:
    """Release a hold once: it is marked in the provision's own transaction, under its row
    lock, so two releases at once cannot both provide its people."""
    claimed = Hold.objects.filter(pk=batch.context[RELEASING], record=record,
                                  released_at__isnull=True).update(
        released_at=timezone.now(), released_by=str(batch.actor)[:160])
    if claimed:
        batch.results["released_hold"] = str(batch.context[RELEASING])
        audit.record(actor=batch.actor, action="transfers.hold_released", obj=record,
                     categories=list(batch.categories),
                     detail={"hold": str(batch.context[RELEASING]), "people": len(people)})
    return bool(claimed)


def _hold(batch: guards.Batch, record: TransferRecord, held: list) -> None:
    """The people beyond the year's limit wait, named in their own audit record, and the
    privacy officer is alerted."""
    hold = Hold.objects.create(
        record=record, year=this_year(), subject_ids=[str(s) for s in held],
        categories=list(batch.categories), reason="annual threshold reached",
        context={k: v for k, v in batch.context.items() if k != RELEASING})
    audit.record(actor=batch.actor, action="transfers.held_back", obj=record,
                 categories=list(batch.categories),
                 detail={"hold": str(hold.pk), "held": len(held),
                         "mechanism": record.mechanism}, subjects=held)
    raise_alert(kind="transfers.threshold_reached", severity="high",
                source="transfers.guard", actor=batch.actor,
                summary=f"Cross-border threshold reached: {len(held)} people held back on "
                        f"{batch.flow}",
                detail={"flow": batch.flow.pk, "hold": str(hold.pk), "held": len(held),
                        "mechanism": record.mechanism},
                objects=[record])
    batch.results["held"] = len(held)
    batch.results["hold"] = str(hold.pk)


def _with_consent(batch: guards.Batch, people: list, dropped: Counter) -> list:
    """People without a separate consent to this overseas recipient are left out (Art. 39).
    The gateway already asked for it when the flow's own purpose is the transfer and the
    recipient a handler."""
    if batch.purpose == CROSS_BORDER_PURPOSE and batch.recipient.role in HANDLER_ROLES:
        return people
    answers = decisions.decide_many(people, CROSS_BORDER_PURPOSE, (), lock=True,
                                    recipient=batch.flow.recipient)
    kept = [p for p in people if answers[p].allowed]
    if len(kept) != len(people):
        dropped["cross_border_consent_missing"] += len(people) - len(kept)
    return kept


def _counted(year: int, sensitive: bool, people: list) -> set[int]:
    """Positions in ``people`` of those counted already this year for this kind."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(CountedPerson._meta.db_table)
    found: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(people), 20000):
            listed, params = bulk.uuid_table(people[start:start + 20000], connection)
            cursor.execute(f"SELECT ids.position FROM {listed} JOIN {table} c "  # noqa: S608
                           "ON c.subject_id = ids.id WHERE c.year = %s AND c.sensitive = %s",
                           [*params, year, sensitive])
            found.update(start + position for (position,) in cursor.fetchall())
    return found


def _locked_counters(year: int) -> dict[bool, YearCounter]:
    YearCounter.objects.bulk_create([YearCounter(year=year, sensitive=False),
                                     YearCounter(year=year, sensitive=True)],
                                    ignore_conflicts=True)
    return {c.sensitive: c for c in
            YearCounter.objects.select_for_update().filter(year=year).order_by("sensitive")}


def this_year() -> int:
    """The counters restart on 1 January, China time."""
    return timezone.localdate().year


def count(record: TransferRecord, people: list[uuid.UUID],
          categories: list[str]) -> tuple[list, list]:
    """Take the year's places for ``people`` in order; returns (who goes, who is held)."""
    year = this_year()
    carries = dict(zip((False, True), kinds(categories), strict=True))
    counters = _locked_counters(year)
    limits = dict(zip((False, True), rules.limits(record), strict=True))
    seen = {kind: _counted(year, kind, people) for kind, carried in carries.items()
            if carried}
    room = {kind: limits[kind] - counters[kind].people for kind in seen}
    go, held, new = [], [], {kind: [] for kind in seen}
    for position, subject_id in enumerate(people):
        needs = [kind for kind in seen if position not in seen[kind]]
        if any(room[kind] <= 0 for kind in needs):
            held.append(subject_id)
            continue
        for kind in needs:
            room[kind] -= 1
            new[kind].append(subject_id)
        go.append(subject_id)
    # UUIDs as the driver takes them: PostgreSQL's COPY takes UUID objects, SQLite hex.
    native = transaction.get_connection().vendor == "postgresql"
    for kind, added in new.items():
        if added:
            bulk.append(CountedPerson, _COUNTED, [
                (year, kind, s if native else s.hex) for s in added])
            YearCounter.objects.filter(pk=counters[kind].pk).update(
                people=counters[kind].people + len(added))
    return go, held
