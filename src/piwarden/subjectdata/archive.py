"""The export ZIP (data.json, one CSV per table, report.html, report.pdf, README.txt) and its
encryption.

The readable report (``report.py``: grouped by what the data means to the person, labelled in
their language) is rendered as report.html and, with ReportLab, as report.pdf (``pdf.py``).

Each archive gets its own random AES-256-GCM key, wrapped by the vault's master key provider
(so a KMS provider works unchanged, and retiring a master key version also retires old
archives). The file is ``0x01 ‖ nonce(12) ‖ AES-256-GCM(zip)``, with associated data naming the
archive, so a file copied onto another archive's name does not open.
"""

import csv
import io
import json
import logging
import os
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from reportlab.platypus.doctemplate import LayoutError

from piwarden.subjectdata import pdf, report
from piwarden.vault import keys

log = logging.getLogger(__name__)

FORMAT = b"\x01"
# The readable report shows this many rows per table; the JSON and CSV files hold them all.
REPORT_ROWS = report.REPORT_ROWS


def export_dir() -> Path:
    path = Path(settings.PIWARDEN_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def file_path(archive_id) -> Path:
    return export_dir() / f"{archive_id}.zip.enc"


def _aad(archive_id, version: int) -> bytes:
    return f"piwarden.subjectdata.export|{archive_id}|{version}".encode()


def _file_aad(archive_id) -> bytes:
    return f"piwarden.subjectdata.export-file|{archive_id}".encode()


def new_key(archive_id) -> tuple[bytes, int, bytes]:
    """(raw key, master key version, wrapped key) for a new archive."""
    provider = keys.get_provider()
    version = provider.current_version()
    raw = AESGCM.generate_key(bit_length=256)
    return raw, version, provider.wrap(version, raw, _aad(archive_id, version))


def _raw_key(archive) -> bytes:
    return keys.get_provider().unwrap(archive.master_version, bytes(archive.wrapped_key),
                                      _aad(archive.id, archive.master_version))


def write_encrypted(archive, raw_key: bytes, data: bytes) -> Path:
    """Seal ``data`` into a new partial file (one per attempt); the caller moves it into place
    with ``partial.replace(file_path(...))`` once it owns the archive, or deletes it."""
    nonce = os.urandom(12)
    sealed = FORMAT + nonce + AESGCM(raw_key).encrypt(nonce, data, _file_aad(archive.id))
    partial = export_dir() / f"{archive.id}.{os.urandom(6).hex()}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(sealed)
    return partial


def read_decrypted(archive) -> bytes:
    sealed = file_path(archive.id).read_bytes()
    if sealed[:1] != FORMAT:
        raise ValueError("unknown export file format")
    return AESGCM(_raw_key(archive)).decrypt(sealed[1:13], sealed[13:], _file_aad(archive.id))


def _columns(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([("" if (v := row.get(c)) is None else v) for c in columns] for row in rows)
    return out.getvalue()


def _policy_version() -> str:
    from piwarden.policy import selectors

    version = selectors.current()
    return version.version if version else ""


def build_zip(*, subject_id, lang: str, data: dict[str, dict[str, list[dict]]]) -> bytes:
    """``data``: source name → table name → rows. Returns the ZIP's bytes."""
    created = timezone.now()
    tables = []
    files = []
    for source, source_tables in data.items():
        for table, rows in source_tables.items():
            columns = _columns(rows)
            filename = f"csv/{source}.{table}.csv"
            files.append((filename, _csv(rows, columns)))
            tables.append({"source": source, "table": table, "file": filename,
                           "count": len(rows)})
    document = {"subject": str(subject_id), "created_at": created.isoformat(),
                "format": "piwarden.subject-export/1", "sources": data}
    with translation.override(lang):
        readable = report.build(data=data, lang=lang, subject_id=subject_id, created=created,
                                policy_version=_policy_version(),
                                site_url=settings.PIWARDEN_SITE_URL.rstrip("/"))
        context = {"subject": subject_id, "created_at": created, "tables": tables, "lang": lang,
                   "report": readable, "report_rows": REPORT_ROWS}
        html = render_to_string("subjectdata/report.html", context)
        readme = render_to_string("subjectdata/README.txt", context)
        try:
            document_pdf = pdf.render(readable)
        except LayoutError:  # the copy is owed by a deadline: ship it without the PDF
            log.exception("export report PDF could not be laid out; shipped without it")
            document_pdf = None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("README.txt", readme)
        zf.writestr("data.json", json.dumps(document, ensure_ascii=False))  # C encoder: no indent
        zf.writestr("report.html", html)
        if document_pdf is not None:
            zf.writestr("report.pdf", document_pdf)
        for filename, text in files:
            zf.writestr(filename, "\ufeff" + text)  # BOM: spreadsheets then read UTF-8
    return buffer.getvalue()
