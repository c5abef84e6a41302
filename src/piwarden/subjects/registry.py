"""The subject-data registry: every app that stores PI says here how to export and erase it.

Rights requests (access, portability, deletion, cancellation) work only through this registry,
so data that no app registers would be forgotten by them; ``tests/subjects`` fails when a model
that points at a ``Subject`` belongs to no registered source.

An app registers in its ``AppConfig.ready()``::

    registry.register(registry.Source(
        name="leads.leads", models=(Lead,), categories=("user.contact.phone", ...),
        export=export_leads, erase=erase_leads))

- ``export(subject) -> dict[str, list[dict]]``: table name → rows of JSON scalars (str, int,
  bool, None; dates as ISO strings), everything the source holds about the subject, PI
  decrypted. The rights engine turns the tables into JSON, CSV and the HTML report.
- ``erase(*, actor, subject, categories) -> Erased``: delete or anonymize what the source holds
  about the subject in ``categories`` (``None`` means everything), write its own audit records,
  and report what it kept under a legal duty instead. It runs inside a transaction and must be
  idempotent: a second run finds nothing more to do.

Retention of stored kinds registers with ``register_retention(Retention(...))``.

Cancellation pre-checks (balances, unfinished orders, open requests, legal holds) register with
``register_precheck(name, fn)``; ``fn(subject) -> list[Reminder]``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Model


def iso(value) -> str | None:
    """A date or time as an export row holds it: ISO 8601 text, or None."""
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Kept:
    """Data a source keeps after an erasure because a law requires it."""

    category: str
    legal_basis: str
    until: date | None
    reason: str


@dataclass
class Erased:
    erased: int = 0
    anonymized: int = 0
    kept: list[Kept] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"erased": self.erased, "anonymized": self.anonymized,
                "kept": [{"category": k.category, "legal_basis": k.legal_basis,
                          "until": k.until.isoformat() if k.until else None,
                          "reason": k.reason} for k in self.kept]}


@dataclass(frozen=True)
class Source:
    """``identifies``: the source holds what other sources use to find the person's data
    (the account, the vault's contact values), so an erasure runs it after all the others."""

    name: str
    models: tuple[type[Model], ...]
    categories: tuple[str, ...]
    export: Callable[..., dict[str, list[dict]]]
    erase: Callable[..., Erased]
    identifies: bool = False
    # ``package(subject_ids, categories) -> {subject_id: {field: value}}``: the values of these
    # categories for many people at once, decrypted, for a provision that the sharing gateway
    # has already checked (the package a recipient receives). None: the source provides none.
    package: Callable[..., dict] | None = None


@dataclass(frozen=True)
class Reminder:
    """Something to settle before an account is cancelled, shown to the person."""

    code: str
    message_en: str
    message_zh: str
    settle_url: str
    blocking: bool = False


_sources: dict[str, Source] = {}
_prechecks: dict[str, Callable[..., list[Reminder]]] = {}


def register(source: Source) -> None:
    _sources[source.name] = source


def sources() -> list[Source]:
    return [_sources[name] for name in sorted(_sources)]


def register_precheck(name: str, check: Callable[..., list[Reminder]]) -> None:
    _prechecks[name] = check


def prechecks(subject) -> list[Reminder]:
    return [reminder for name in sorted(_prechecks) for reminder in _prechecks[name](subject)]


@dataclass(frozen=True)
class Retention:
    """One stored kind whose rows expire after the retention period of a catalog activity.

    ``due(before) -> int`` counts the rows older than ``before``; ``expire(*, actor, before,
    limit) -> int`` deletes or anonymizes at most ``limit`` of them (audited) and returns how many.
    """

    name: str
    activity: str
    due: Callable[..., int]
    expire: Callable[..., int]


_retentions: dict[str, Retention] = {}


def register_retention(retention: Retention) -> None:
    _retentions[retention.name] = retention


def retentions() -> list[Retention]:
    return [_retentions[name] for name in sorted(_retentions)]
