"""The watermark every exported file carries: who asked for it, when (China time), which export.

A CSV file gets it twice: a first comment line, and a column on every row, so a copied range of
rows still names its requester.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def line(*, export_id: int, username: str, at: datetime) -> str:
    when = at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return (f"piwarden export {export_id} requested by {username} at {when} China time "
            f"(Asia/Shanghai); confidential, do not forward")


def csv_text(table, *, export_id: int, username: str, at: datetime) -> str:
    out = io.StringIO()
    out.write(f"# {line(export_id=export_id, username=username, at=at)}\r\n")
    writer = csv.writer(out)
    writer.writerow([*table.header, "watermark"])
    mark = f"export {export_id} / {username}"
    for row in table.rows:
        writer.writerow([*(_cell(value) for value in row), mark])
    return out.getvalue()


def _cell(value) -> str:
    """A spreadsheet does not run a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
