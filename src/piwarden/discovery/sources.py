"""Where ``piwarden discover`` looks: the database, the data directory's files and the logs.

Each source reads text, runs it through ``scan`` and counts what it found per place and
detector type (``Hit``); nothing keeps a value or an excerpt. The rules (docs/discovery.md):

- **Database**: every table the connection lists, piwarden's or not, and every text-like
  column (char, text, JSON, inet; untyped on SQLite). Binary columns (ciphertext, wrapped keys)
  are skipped; so are columns whose model field cannot hold text (a UUID stored as ``char``).
  A table is read at most ``sample`` rows: the first half by ascending primary key, the other
  half by descending one (old rows, and the new rows where a column added by hand is filled);
  a table of at most ``sample`` rows is read whole. A finding is reported unless the one
  column -> category map declares the column with the found category or a parent of it
  (``covers``).
- **Files** under ``DATA_DIR``: regular text files only, the first ``FILE_BYTES`` of each.
  Text is UTF-8 (with or without a BOM), UTF-16 with a BOM, or GB18030 (GBK: Excel's CSV on
  Chinese Windows), decided from the first 8 KiB. Anything else is listed in the report
  (``Report.skipped``) with the reason, never silently: a pipe, socket, device or symbolic
  link (never opened: a FIFO would block), a binary file, an unreadable one. Declared stores
  are skipped: every ``PIWARDEN_*_DIR`` / ``PIWARDEN_*_FILE`` setting, ``MEDIA_ROOT``,
  ``STATIC_ROOT``, the message folder, the log folder (a source of its own), key files and
  the SQLite database.
- **Logs**: every file under ``PIWARDEN_LOG_DIR`` and those in ``PIWARDEN_LOG_FILES``, the
  last ``LOG_BYTES`` of each (the newest lines), from the first whole line in them; line
  numbers still count from the start of the file (a plain count of the newlines before).

One hit per place and detector type: a file's place is ``path:line,line,…`` (the first
``LINE_PLACES`` lines holding that type, then ``…``; relative to ``DATA_DIR`` when inside
it), while its fingerprint is the path alone (``Hit.key``), so a status follows the file and
type as lines move. A path that itself holds PI is written redacted, and counted as a finding
of its own.
"""

import codecs
import contextlib
import io
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, models

from piwarden.catalog import columns as column_map
from piwarden.catalog import selectors
from piwarden.discovery import redact, scan
from piwarden.discovery.models import Declaration, LocationKind, fingerprint

FILE_BYTES = 1024 * 1024
LOG_BYTES = 64 * 1024 * 1024
SNIFF_BYTES = 8192
COUNT_CHUNK = 1024 * 1024
LINE_PLACES = 10
# Why a file was not read, as listed in the report (``Report.skipped``); the words are in
# ``discovery.labels.SKIP_REASONS``.
NOT_REGULAR = "not_regular"
NOT_TEXT = "not_text"
UNREADABLE = "unreadable"
UNREAD_LISTED = 1000
FETCH = 500

# Introspected column types that hold text.
TEXT_TYPES = {"CharField", "TextField", "JSONField", "GenericIPAddressField", "SlugField",
              "EmailField", "URLField", "FilePathField", "IPAddressField"}
# A declared category covers the ones below it, and a company contact covers what the
# detectors call a person's e-mail address and phone number.
CONTACT = {"user.contact.email", "user.contact.phone"}
COVERS = {"business.customer_contact": CONTACT, "business.privacy_contact": CONTACT}
# UUIDs written with hyphens (ids in JSON, in log lines) are ids, not phone numbers.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}")
SECRET_FILES = ("secrets.json", "vault-master-keys.json")
DATABASE_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal")


@dataclass(frozen=True)
class Hit:
    """How often one detector type was found at one place."""

    kind: str
    location: str
    type: str
    category: str
    count: int
    declaration: str = Declaration.UNDECLARED
    declared_category: str = ""
    key: str = ""  # what the fingerprint names: the place without its line numbers

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.key or self.location, self.type)


@dataclass
class Tally:
    tables: int = 0
    columns: int = 0
    rows: int = 0
    cells: int = 0
    files: int = 0
    lines: int = 0
    skipped: list = field(default_factory=list)
    unread: int = 0

    def unread_file(self, place: str, reason: str) -> None:
        """A file not read, listed in the report with the reason (the first 1000)."""
        self.unread += 1
        if self.unread <= UNREAD_LISTED:
            self.skipped.append({"place": place, "reason": reason})


def covers(declared: str | None, found: str) -> bool:
    """Whether a column declared ``declared`` may hold what a detector calls ``found``."""
    if not declared:
        return False
    return (found == declared or found.startswith(declared + ".")
            or found in COVERS.get(declared, ()))


def _text(value) -> str | None:
    """A cell as text to scan; None for binary or empty cells."""
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = value if isinstance(value, str) else str(value)
    if "\\u" in text and text[:1] in "[{\"":  # JSON stored with escapes (SQLite)
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    if "-" in text:
        text = _UUID.sub("0", text)
    return text or None


class Detector:
    """``scan`` less what is no undeclared PI: categories the catalog grades public (an
    organisation's registration number) and the contacts the catalog itself declares and
    publishes, the handler's and the recipients' (which the policy, the notices and the
    catalog release repeat)."""

    def __init__(self):
        from piwarden.catalog.models import DataCategory, Grade, Recipient

        release = selectors.latest_release()
        handler = release.handler if release and isinstance(release.handler, dict) else {}
        contacts = [value for value in handler.values() if isinstance(value, str)]
        contacts += Recipient.objects.exclude(contact="").values_list("contact", flat=True)
        self.published = {value.strip().lower() for value in contacts}
        self.public = set(DataCategory.objects.filter(grade=Grade.PUBLIC)
                          .values_list("key", flat=True))

    def hits(self, text: str) -> Iterator[tuple[str, str]]:
        """(type, category) of each finding in ``text``."""
        for found in scan(text):
            if (found.category not in self.public
                    and text[found.start:found.end].lower() not in self.published):
                yield found.type, found.category


def _safe(place: str, detector: Detector) -> tuple[str, Counter]:
    """A place name with any PI in it redacted, and what was redacted."""
    found = scan(place)
    if not found:
        return place, Counter()
    return redact(place, found), Counter(detector.hits(place))


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------

def _orm_columns() -> dict[tuple[str, str], models.Field]:
    """(table, column) -> model field, for every model Django knows (not only piwarden's)."""
    known = {}
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.concrete_fields:
            known[(model._meta.db_table, model_field.column)] = model_field
    return known


def _declared(model_field: models.Field | None, declared: dict) -> tuple[str, str | None]:
    """(declaration, category) of a column per the one column -> category map."""
    if model_field is None:
        return Declaration.UNDECLARED, None
    key = f"{model_field.model._meta.label}.{model_field.name}"
    if key not in declared:
        return Declaration.UNDECLARED, None
    category = declared[key]
    return (Declaration.OTHER, category) if category else (Declaration.NO_PI, None)


def _text_columns(cursor, table: str, orm: dict) -> list[str]:
    introspection = connection.introspection
    names = []
    for info in introspection.get_table_description(cursor, table):
        model_field = orm.get((table, info.name))
        if model_field is not None:
            if (isinstance(model_field, column_map.TEXT_FIELDS)
                    and not isinstance(model_field, models.BinaryField)):
                names.append(info.name)
            continue
        try:
            kind = introspection.get_field_type(info.type_code, info)
        except KeyError:  # a type Django does not map (arrays, tsvector, untyped on SQLite)
            kind = "TextField" if connection.vendor == "sqlite" and not info.type_code else ""
        if kind in TEXT_TYPES:
            names.append(info.name)
    return names


def _sample_rows(cursor, table: str, names: list[str], sample: int) -> list[tuple]:
    quote = connection.ops.quote_name
    listed = ", ".join(quote(name) for name in names)
    keys = connection.introspection.get_primary_key_columns(cursor, table) or []
    if not keys:
        cursor.execute(f"SELECT {listed} FROM {quote(table)} LIMIT %s", [sample])  # noqa: S608
        return cursor.fetchall()
    rows, width = {}, len(keys)
    for direction, limit in (("ASC", (sample + 1) // 2), ("DESC", sample // 2)):
        if not limit:
            continue
        order = ", ".join(f"{quote(key)} {direction}" for key in keys)
        cursor.execute(f"SELECT {', '.join(quote(k) for k in keys)}, {listed} "  # noqa: S608
                       f"FROM {quote(table)} ORDER BY {order} LIMIT %s", [limit])
        while batch := cursor.fetchmany(FETCH):
            for row in batch:
                rows[row[:width]] = row[width:]
    return list(rows.values())


def scan_database(sample: int, tally: Tally, detector: Detector) -> list[Hit]:
    """Every text-like column of every table, at most ``sample`` rows per table."""
    orm, declared = _orm_columns(), column_map.column_map()
    found: Counter = Counter()
    with connection.cursor() as cursor:
        tables = sorted(info.name for info in connection.introspection.get_table_list(cursor)
                        if info.type in ("t", "p"))
        for table in tables:
            names = _text_columns(cursor, table, orm)
            tally.tables += 1
            if not names:
                continue
            tally.columns += len(names)
            rows = _sample_rows(cursor, table, names, sample)
            tally.rows += len(rows)
            for row in rows:
                for index, value in enumerate(row):
                    text = _text(value)
                    if text is None:
                        continue
                    tally.cells += 1
                    for type_, category in detector.hits(text):
                        found[(table, names[index], type_, category)] += 1
    hits = []
    for (table, name, type_, category), count in sorted(found.items()):
        declaration, declared_category = _declared(orm.get((table, name)), declared)
        if covers(declared_category, category):
            continue
        hits.append(Hit(LocationKind.COLUMN, f"{table}.{name}", type_, category, count,
                        declaration, declared_category or ""))
    return hits


# ---------------------------------------------------------------------------------------------
# Files and logs
# ---------------------------------------------------------------------------------------------

def _place(path: Path) -> str:
    root = Path(settings.DATA_DIR).resolve()
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(resolved)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return error.start >= len(data) - 3  # a character cut by the sniff's end
    return True


def _encoding(head: bytes) -> tuple[str, int] | None:
    """(encoding, length of its byte-order mark) of a text file from its first bytes: UTF-8,
    UTF-16 with a BOM, else GB18030 (a superset of GBK: Excel's CSV on Chinese Windows);
    None for anything else (a NUL byte without a UTF-16 BOM: binary)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if b"\0" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        if _decodes(head, encoding):
            return encoding, 0
    return None


class _Limited(io.RawIOBase):
    """At most ``left`` bytes of an open file from where it stands."""

    def __init__(self, handle, left: int):
        self.handle, self.left = handle, left

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        data = self.handle.read(min(len(buffer), self.left))
        buffer[:len(data)] = data
        self.left -= len(data)
        return len(data)


def _newlines(handle, end: int, encoding: str) -> int:
    """Lines ended before byte ``end``: a plain read, nothing decoded but UTF-16."""
    handle.seek(0)
    decoder = (codecs.getincrementaldecoder(encoding)(errors="replace")
               if encoding.startswith("utf-16") else None)
    count, left = 0, end
    while left > 0 and (chunk := handle.read(min(COUNT_CHUNK, left))):
        left -= len(chunk)
        count += decoder.decode(chunk).count("\n") if decoder else chunk.count(b"\n")
    return count


def _region(handle, size: int, limit: int, tail: bool) -> tuple[str, int, int, bool] | None:
    """(encoding, first byte, number of the first whole line, whether the line at the first
    byte is to be dropped) of what is read of a file: its first ``limit`` bytes, or with
    ``tail`` its last ``limit`` bytes from the first whole line in them. None when the file
    is no text."""
    head = handle.read(SNIFF_BYTES)
    sniffed = _encoding(head)
    if sniffed is None:
        return None
    encoding, bom = sniffed
    unit = 2 if encoding.startswith("utf-16") else 1
    start = size - limit
    start -= (start - bom) % unit
    if not tail or start - unit < bom:
        return encoding, bom, 1, False
    # Start one character early and drop the line it is in: if that character ends a line,
    # only it is dropped, else the cut line is.
    start -= unit
    if not bom:  # the tail decides between UTF-8 and GB18030 (the head may be ASCII)
        handle.seek(start)
        piece = handle.read(SNIFF_BYTES)
        cut = piece.find(b"\n")
        sniffed = _encoding(piece[cut + 1:] if cut >= 0 else b"")
        if sniffed is None:
            return None
        encoding = sniffed[0]
    return encoding, start, _newlines(handle, start, encoding) + 2, True


def _scan_file(path: Path, kind: str, limit: int, tally: Tally, detector: Detector,
               tail: bool = False) -> list[Hit]:
    """Counts per type in one regular text file; a file that is not read is listed in
    ``tally.unread`` with the reason. One hit per type for the file's contents (its place
    ``path:line,line,…``) and one per type found in the file's name."""
    place, in_name = _safe(_place(path), detector)
    hits = [Hit(kind, place, type_, category, count, key=f"name:{place}")
            for (type_, category), count in sorted(in_name.items())]
    try:
        info = path.lstat()
    except OSError:
        tally.unread_file(place, UNREADABLE)
        return hits
    if not stat.S_ISREG(info.st_mode):
        tally.unread_file(place, NOT_REGULAR)
        return hits
    try:
        # O_NONBLOCK: a FIFO swapped in since the check must not block the open.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        tally.unread_file(place, UNREADABLE)
        return hits
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            tally.unread_file(place, NOT_REGULAR)
            return hits
        try:
            region = _region(handle, info.st_size, limit, tail)
        except OSError:
            tally.unread_file(place, UNREADABLE)
            return hits
        if region is None:
            tally.unread_file(place, NOT_TEXT)
            return hits
        encoding, start, first, drop = region
        handle.seek(start)
        # The tail reads to the end as it was when opened (plus the character before it).
        text = io.TextIOWrapper(io.BufferedReader(_Limited(handle, limit + 2 * drop)),
                                encoding=encoding, errors="replace", newline="\n")
        lines = iter(text)
        if drop:
            next(lines, None)  # the line cut by the start
        tally.files += 1
        counts: Counter = Counter()
        where: dict[tuple[str, str], list[int]] = {}
        for number, line in enumerate(lines, start=first):
            tally.lines += 1
            for found in detector.hits(line):
                counts[found] += 1
                numbers = where.setdefault(found, [])
                if len(numbers) <= LINE_PLACES and number not in numbers[-1:]:
                    numbers.append(number)
    for (type_, category), count in sorted(counts.items()):
        numbers = where[(type_, category)]
        shown = ",".join(str(n) for n in numbers[:LINE_PLACES])
        more = ",…" if len(numbers) > LINE_PLACES else ""
        hits.append(Hit(kind, f"{place}:{shown}{more}", type_, category, count, key=place))
    return hits


def _walk(root: Path, skip: set[Path]) -> Iterator[Path]:
    """Every entry under ``root`` but folders (and what is in ``skip``): regular files and
    anything else, which ``_scan_file`` lists as not read rather than opens."""
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders[:] = sorted(name for name in folders if (here / name).resolve() not in skip)
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or path.resolve() not in skip:
                yield path


def declared_stores() -> set[Path]:
    """The files and folders under DATA_DIR that hold PI or secrets by design."""
    from piwarden.accounts import message_files

    paths = [Path(getattr(settings, name)) for name in dir(settings)
             if name.startswith("PIWARDEN_") and name.endswith(("_DIR", "_FILE"))
             and getattr(settings, name)]
    paths += [Path(settings.MEDIA_ROOT), Path(settings.STATIC_ROOT), message_files.folder()]
    paths += [Path(settings.DATA_DIR) / name for name in SECRET_FILES]
    return {path.resolve() for path in paths}


def scan_files(tally: Tally, detector: Detector) -> list[Hit]:
    """Text files under DATA_DIR outside the declared stores."""
    root = Path(settings.DATA_DIR)
    if not root.is_dir():
        return []
    skip = declared_stores()
    tally.skipped[:0] = sorted(_place(path) for path in skip
                               if path.exists() and path.is_relative_to(root.resolve()))
    hits = []
    for path in _walk(root, skip):
        if path.name.endswith(DATABASE_SUFFIXES):
            continue
        hits += _scan_file(path, LocationKind.FILE, FILE_BYTES, tally, detector)
    return hits


def log_files() -> list[Path]:
    folder = Path(settings.PIWARDEN_LOG_DIR)
    paths = list(_walk(folder, set())) if folder.is_dir() else []
    paths += [Path(name).resolve() for name in settings.PIWARDEN_LOG_FILES
              if Path(name).is_file()]
    return list(dict.fromkeys(paths))


def scan_logs(tally: Tally, detector: Detector) -> list[Hit]:
    """The application logs, line by line."""
    hits = []
    for path in log_files():
        hits += _scan_file(path, LocationKind.LOG, LOG_BYTES, tally, detector, tail=True)
    return hits
