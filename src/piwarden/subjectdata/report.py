"""The readable report of an export, built once and rendered twice (report.html and report.pdf).

The export's data (source -> table -> rows, as in data.json) is regrouped by what it means to
the person (profile, contacts, consents, requests, payments, activity, who received the data;
"other" for any table not mapped here, so nothing is dropped), every field gets a label in the
person's language and every value is formatted for reading: China time without seconds,
yes/no words, catalog keys through ``piwarden.catalog.labels``, an address as one line, the
logo as an image. The JSON and CSV files keep the machine-readable form.

A field without a label is shown with a humanised name and listed in ``Report.unlabelled``
(a test fails on it), so a source that adds a column is noticed.
"""

import base64
import contextlib
import datetime
import functools
import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from piwarden.subjectdata.report_labels import (
    ACTIONS,
    ENUM_FIELDS,
    FIELDS,
    SECTIONS,
    TABLE_FIELDS,
    TABLES,
    VALUES,
    VAULT_FIELDS,
)

# Rows each block shows; the JSON and CSV files hold them all.
REPORT_ROWS = 200
# The PDF shows this many rows per block (it is for printing; the HTML shows REPORT_ROWS).
PDF_ROWS = 100
# A block with more visible columns than this shows each row as a card (label: value).
TABLE_COLUMNS = 5
EMPTY = "—"

# Long lists that read best as a table even with many columns.
_WIDE_TABLES = {"entries"}

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
_LIST_FIELDS = {"categories", "authorization_categories", "category"}
_ADDRESS_PARTS = ("province", "city", "district", "street", "detail", "postcode")


@dataclass
class Cell:
    text: str = ""
    image: str | None = None  # a data: URI
    time: bool = False  # a date or time (kept on one line)

    @property
    def image_bytes(self) -> bytes | None:
        if not self.image:
            return None
        return base64.b64decode(self.image.split(",", 1)[1])


@dataclass
class Block:
    key: str
    title: str
    file: str
    count: int
    columns: list[str]
    rows: list[list[Cell]]
    truncated: bool = False

    @functools.cached_property
    def cards(self) -> bool:
        if any(c.image for r in self.rows for c in r):
            return True
        return len(self.columns) > TABLE_COLUMNS and self.key not in _WIDE_TABLES

    @functools.cached_property
    def records(self) -> list[list[tuple[str, Cell]]]:
        """Each row as (label, cell) pairs; a card leaves out the fields that are empty."""
        cards = self.cards
        return [[(label, cell) for label, cell in zip(self.columns, row, strict=True)
                 if not cards or cell.image or cell.text != EMPTY]
                for row in self.rows]


    def _shares(self, *, time: int, floor: int) -> list[float]:
        weights = []
        for n, label in enumerate(self.columns):
            longest = max([_width(row[n].text) for row in self.rows[:PDF_ROWS]]
                          + [_width(label) // 2])
            word = max(_width(w) for w in label.split() or [label])
            if any(row[n].time for row in self.rows[:PDF_ROWS]):
                longest = max(longest, time)  # "2026-12-04 14:03" on one line
            weights.append(min(max(longest, word + 2, floor), 40))
        total = sum(weights)
        return [w / total for w in weights]

    @functools.cached_property
    def shares(self) -> list[float]:
        """Each column's share of the PDF table's width, by how much it holds (a date column
        stays narrow, a list of data categories gets room)."""
        return self._shares(time=20, floor=10)

    @property
    def percents(self) -> list[str]:
        """The same for the HTML table (its larger type needs more room for short words)."""
        return [f"{share * 100:.1f}" for share in self._shares(time=30, floor=14)]


def _width(text: str) -> int:
    """Display width: a Chinese character is as wide as two Latin ones."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    lang: str
    created: str
    policy_version: str
    subject: str
    sections: list[Section]
    unlabelled: set[str] = field(default_factory=set)
    intro: list[str] = field(default_factory=list)
    nothing: str = ""
    reference: str = ""
    title: str = ""
    truncated_note: str = ""


def _humanise(code: str) -> str:
    last = str(code).rsplit(".", 1)[-1].replace("_", " ").strip()
    return last[:1].upper() + last[1:]


def _labels():
    from piwarden.catalog import labels

    return labels


def _when(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return _labels().china_time(moment)


def _day(value: str) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return value
    return _labels().china_date(day)


def _address(value) -> str:
    data = value if isinstance(value, dict) else json.loads(value)
    parts = [data[p] for p in _ADDRESS_PARTS if data.get(p)]
    parts += [v for k, v in sorted(data.items()) if k not in _ADDRESS_PARTS and v]
    return " ".join(str(p) for p in parts)


def _split(value: str) -> list[str]:
    return [v for v in re.split(r"[,、\s]+", value) if v]


def _json_text(value, report: Report) -> str:
    """Structured values as "Label: value" text, never JSON."""
    if isinstance(value, dict):
        if set(value) & {"province", "city", "street"}:
            return _address(value)
        if not all(re.fullmatch(r"[a-z][a-z0-9_]*", str(k)) for k in value):
            # keyed by references (such as request ids): the values are what reads
            return "\n".join(_value_text("", "", v, report) for v in value.values())
        return "; ".join(f"{_field_label('', k, report)}: {_value_text('', k, v, report)}"
                         for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_json_text(v, report) for v in value)
    return _value_text("", "", value, report)


def _field_label(table: str, name: str, report: Report) -> str:
    label = TABLE_FIELDS.get((table, name)) or FIELDS.get(name)
    if label is None:
        report.unlabelled.add(f"{table}.{name}" if table else name)
        return _humanise(name)
    return str(label)


def _value_text(table: str, name: str, value, report: Report) -> str:
    labels = _labels()
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        if name == "amount_minor":
            return f"{value / 100:.2f}"
        if name == "duration_ms":
            return _("%(seconds)s s") % {"seconds": round(value / 1000, 1)}
        return str(value)
    if isinstance(value, dict | list):
        return _json_text(value, report)
    value = str(value)
    if value[:1] in "{[":
        try:
            return _json_text(json.loads(value), report)
        except ValueError:
            pass
    if name == "purpose":
        return labels.purpose(value)
    if name == "authorization_purposes":
        return labels.purposes(_split(value))
    if name in _LIST_FIELDS and value == "all":
        return str(VALUES["all"])
    if name in _LIST_FIELDS:
        keys = _split(value)
        if all(_KEY.fullmatch(k) or re.fullmatch(r"[a-z_]+", k) for k in keys):
            return labels.categories(keys)
        return value
    if name == "legal_basis":
        return labels.basis(value)
    if name == "scope":
        return labels.scope(value)
    if name == "partner_recipient":
        return labels.recipient(value)
    if name == "action":
        label = ACTIONS.get(value)
        return str(label) if label else _humanise(value.replace(".", " ").replace("_", " "))
    if name == "object_type":
        return _model_name(value)
    if name == "field":
        label = VAULT_FIELDS.get(value) or FIELDS.get(value)
        return str(label) if label else _humanise(value)
    if name == "notice" and re.fullmatch(r"[0-9a-f]{64}", value):
        return value[:12]
    if name == "actor_id":
        return _actor(value, report)
    if _DATETIME.fullmatch(value):
        return _when(value)
    if _DATE.fullmatch(value):
        return _day(value)
    if (chosen := _choice(table, name, value)) is not None:
        return chosen
    if name in ENUM_FIELDS:
        label = VALUES.get(value)
        if label is not None:
            return str(label)
        if re.fullmatch(r"[a-z0-9_.\-]+", value):
            return _humanise(value.replace(".", " ").replace("_", " "))
    return value


# (table, field) -> (model, field) whose translated TextChoices name the values.
_CHOICES = {
    ("rights_requests", "type"): ("rights.RightsRequest", "type"),
    ("rights_requests", "channel"): ("rights.RightsRequest", "channel"),
    ("rights_requests", "status"): ("rights.RightsRequest", "status"),
    ("rights_request_events", "from"): ("rights.RightsRequest", "status"),
    ("rights_request_events", "to"): ("rights.RightsRequest", "status"),
    ("exports", "status"): ("subjectdata.ExportArchive", "status"),
    ("erasure_runs", "status"): ("subjectdata.ErasureRun", "status"),
}


def _choice(table: str, name: str, value: str) -> str | None:
    from django.apps import apps

    where = _CHOICES.get((table, name))
    if where is None:
        return None
    try:
        choices = dict(apps.get_model(where[0])._meta.get_field(where[1]).flatchoices)
    except (LookupError, ValueError):
        return None
    label = choices.get(value)
    return str(label) if label is not None else None


def _model_name(label: str) -> str:
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return _humanise(label)
    return str(model._meta.verbose_name).capitalize()


def _actor(value: str, report: Report) -> str:
    if value == report.subject:
        return _("You")
    if value in VALUES:
        return str(VALUES[value])
    if re.fullmatch(r"[0-9a-f-]{36}", value):
        return _("Another person")
    return _humanise(value.replace("_", " "))


def _cell(table: str, name: str, value, report: Report) -> Cell:
    if name == "avatar_png_base64" and value:
        return Cell(text=_("Logo"), image=f"data:image/png;base64,{value}")
    if name in ("address", "payments_address") and isinstance(value, str) and value[:1] == "{":
        try:
            return Cell(_address(value))
        except ValueError:
            pass
    text = _value_text(table, name, value, report)
    return Cell(text, time=isinstance(value, str) and bool(_DATETIME.fullmatch(value)))


def _vault_rows(rows: list[dict], report: Report) -> tuple[list[dict], list[dict]]:
    """Vault values become (information, value, last changed), split into contacts and the
    rest of the profile."""
    profile, contacts = [], []
    for row in rows:
        name, category = row.get("field", ""), row.get("category", "") or ""
        label = VAULT_FIELDS.get(name)
        if label is None:
            label = _labels().category(category) if category else _humanise(name)
            report.unlabelled.add(f"vault.{name}")
        value = row.get("value")
        if name.endswith("address") and isinstance(value, str) and value[:1] == "{":
            with contextlib.suppress(ValueError):
                value = _address(value)
        out = {"information": str(label), "value": value, "updated_at": row.get("updated_at")}
        (contacts if category.startswith("user.contact") else profile).append(out)
    return profile, contacts


_VAULT_COLUMNS = {"information": gettext_lazy("Information"), "value": gettext_lazy("Value"),
                  "updated_at": gettext_lazy("Last changed")}
# Tables whose columns come in two languages: the person's language is shown.
_BILINGUAL = {"recipients": ("recipient", "purpose", "categories")}


def _block(key: str, title, file: str, rows: list[dict], report: Report,
           columns: dict | None = None) -> Block:
    names = list(dict.fromkeys(k for row in rows for k in row))
    if key in _BILINGUAL:
        zh = report.lang == "zh-hans"
        for base in _BILINGUAL[key]:
            if f"{base}_zh" in names:
                names.remove(base if zh else f"{base}_zh")
    if "amount_minor" in names and "currency" in names:
        names.remove("currency")
    if "actor_kind" in names and "actor_id" in names:  # one "done by" column
        names.remove("actor_id")
    if key == "entries":  # the audit's numbering and record types stay in data.json
        names = [n for n in names if n not in ("seq", "object_type")]
    def base(name: str) -> str:
        return name.removesuffix("_zh") if key in _BILINGUAL else name

    labels_ = []
    for name in names:
        if columns and name in columns:
            labels_.append(str(columns[name]))
        else:
            labels_.append(_field_label(key, base(name), report))
    shown = rows[:REPORT_ROWS]
    body = []
    for row in shown:
        cells = []
        for name in names:
            cell = _cell(key, base(name), row.get(name), report)
            if name == "amount_minor" and row.get("currency"):
                cell.text = f"{cell.text} {row['currency']}"
            if name == "actor_kind" and row.get("actor_id"):
                who = _actor(str(row["actor_id"]), report)
                if row["actor_kind"] == "person":
                    cell.text = who
                elif row["actor_kind"] == "system":
                    cell.text = f"{cell.text} ({who})"
            cells.append(cell)
        body.append(cells)
    return Block(key=key, title=str(title), file=file, count=len(rows), columns=labels_,
                 rows=body, truncated=len(rows) > REPORT_ROWS)


def _intro(report: Report, site_url: str) -> list[str]:
    """What this is, when it was produced, the policy version, how to ask questions."""
    paragraphs = [
        _("This is a copy of the personal information we held about you on %(created)s "
          "(China time), grouped by what it is about. You asked for it under the Personal "
          "Information Protection Law (Articles 45 and 46).") % {"created": report.created},
        _("The same information is in this archive twice more: data.json (machine-readable, "
          "to take to another service) and one CSV file per table, for spreadsheets. The "
          "report shows up to %(rows)s entries per table; the files hold all of them.")
        % {"rows": REPORT_ROWS},
    ]
    if report.policy_version:
        paragraphs.append(_("Privacy policy in force when this copy was made: version "
                            "%(version)s.") % {"version": report.policy_version})
    paragraphs.append(_("Questions about this copy, or something in it that is wrong? Ask us "
                        "in your privacy center, %(url)s, where you can also ask for a "
                        "correction or a deletion.")
                      % {"url": f"{site_url}/privacy/requests/"})
    return paragraphs


def build(*, data: dict[str, dict[str, list[dict]]], lang: str, subject_id,
          created: datetime.datetime, policy_version: str = "", site_url: str = "") -> Report:
    """The report in ``lang`` (call inside ``translation.override(lang)``)."""
    report = Report(lang=lang, created=_labels().china_time(created),
                    policy_version=policy_version, subject=str(subject_id),
                    sections=[Section(key, str(title)) for key, title in SECTIONS])
    report.title = _("Your personal data")
    report.intro = _intro(report, site_url)
    report.nothing = _("We hold nothing of this kind about you.")
    report.reference = _("Your personal reference: %(subject)s") % {"subject": report.subject}
    report.truncated_note = _("Only the first %(rows)s entries are shown here; all of them "
                              "are in data.json and in the CSV file.") % {"rows": REPORT_ROWS}
    by_key = {s.key: s for s in report.sections}
    for source, tables in data.items():
        for table, rows in tables.items():
            if not rows:
                continue
            file = f"csv/{source}.{table}.csv"
            if table == "values" and source == "vault.values":
                profile, contacts = _vault_rows(rows, report)
                for key, part in (("profile_values", profile), ("contact_values", contacts)):
                    if part:
                        section, title = TABLES[key]
                        by_key[section].blocks.append(
                            _block(key, title, file, part, report, columns=_VAULT_COLUMNS))
                continue
            section, title = TABLES.get(table, ("other", None))
            if title is None:
                title = _humanise(table)
                report.unlabelled.add(f"table {source}.{table}")
            by_key[section].blocks.append(_block(table, title, file, rows, report))
    order = {key: n for n, key in enumerate(TABLES)}
    for section in report.sections:
        section.blocks.sort(key=lambda b: order.get(b.key, len(order)))
    if not by_key["other"].blocks:
        report.sections.remove(by_key["other"])
    return report
