"""Request and response shapes of ``POST /api/v1/discovery/scan``.

The limits are checked by the endpoint (``scanning.check_request``), which answers with its own
error codes; the schema only documents them (``maxLength``, ``maxItems``, the type ``enum``).
"""

from typing import Annotated

from ninja import Field, Schema

from piwarden.discovery import TYPES
from piwarden.discovery.scanning import MAX_CHARS, MAX_TEXTS

DetectorType = Annotated[str, Field(json_schema_extra={"enum": sorted(TYPES)})]
ScannedText = Annotated[str, Field(json_schema_extra={"maxLength": MAX_CHARS})]

EXAMPLE_TEXT = "请回电 13912345678，身份证110101199003077571"


class ScanIn(Schema):
    """Exactly one of ``text`` and ``texts``."""

    text: ScannedText | None = Field(
        None, description=f"One text to scan, at most {MAX_CHARS:,} characters.",
        examples=[EXAMPLE_TEXT])
    texts: list[ScannedText] | None = Field(
        None, json_schema_extra={"maxItems": MAX_TEXTS},
        description=f"A batch of up to {MAX_TEXTS} texts, each at most {MAX_CHARS:,} "
                    "characters; answered in ``results``, in the same order.",
        examples=[[EXAMPLE_TEXT, "Mail zhang.san@example.com"]])
    types: list[DetectorType] | None = Field(
        None, description="Report only these detector types (omitted or empty: all of them).",
        examples=[["cn_resident_id", "cn_mobile"]])


class FindingOut(Schema):
    type: str = Field(description="The detector type, e.g. ``cn_resident_id``.")
    start: int = Field(description="Offset of the first character, in Unicode code points "
                                   "from 0 (a Python ``str`` index).")
    end: int = Field(description="Offset just past the last character (exclusive).")
    confidence: float = Field(description="How sure the detector is, from 0 to 1.")
    category: str = Field(description="The data catalog category the type maps to, e.g. "
                                      "``user.id_info``.")


class ScanOut(Schema):
    findings: list[FindingOut] = Field(description="In order of ``start``; never overlapping.")


class ScanBatchOut(Schema):
    results: list[ScanOut] = Field(description="One entry per text of ``texts``, in order.")
