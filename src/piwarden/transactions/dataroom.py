"""The data room's masked sample: the vault's stored masks (written with each value, so
nothing is decrypted here) of the fields whose category the transaction covers. Secret fields
(key material) never appear."""

import csv
import io

from piwarden.consent.erasure import covered
from piwarden.vault import fields as vault_fields
from piwarden.vault.models import VaultValue


def field_categories(categories: list[str]) -> dict[str, str]:
    """The vault fields a transaction's categories cover, with their category."""
    allowed = set(categories)
    return {f.name: f.category for f in vault_fields.all_fields()
            if not f.secret and covered(f.category, allowed)}


def masked_rows(people: list, categories: list[str]) -> tuple[list[dict], dict[str, str]]:
    """One row per person, numbered in order (no subject id leaves), with the masks."""
    names = field_categories(categories)
    masks: dict = {}
    for subject_id, field, mask in VaultValue.objects.filter(
            subject_id__in=people, field__in=list(names)).values_list("subject_id", "field",
                                                                      "mask"):
        masks.setdefault(subject_id, {})[field] = mask
    rows = [{"row": number, **masks.get(subject_id, {})}
            for number, subject_id in enumerate(people, start=1)]
    return rows, {name: names[name] for name in sorted({n for m in masks.values() for n in m})}


def as_csv(rows: list[dict]) -> str:
    """The sample as CSV (a column per field any row holds)."""
    names = sorted({name for row in rows for name in row if name != "row"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["row", *names])
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def _cell(value):
    """A spreadsheet does not run a cell as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
