"""How each person of a chunk can be reached: reads only, a few queries per chunk.

The channel is chosen per person by the campaign's channel order and what the person has:
a verified e-mail address (email), a verified phone number (sms), an account (site message),
a phone number on file (a call by staff). Preview asks which values exist (no decryption);
sending reads the contacts of the whole chunk at once through the vault's bulk reader
(``vault.subject_data.package``) and audits that read per chunk.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from piwarden import bulk
from piwarden.accounts.models import Account
from piwarden.notify.models import Channel
from piwarden.vault import subject_data as vault_data
from piwarden.vault.models import DataKey, VaultValue

INDIVIDUAL = (Channel.EMAIL, Channel.SMS, Channel.SITE, Channel.PHONE)


@dataclass
class Person:
    email_verified: bool = False
    phone_verified: bool = False
    has_account: bool = False
    has_email: bool = False
    has_phone: bool = False
    language: str = ""


def default_language() -> str:
    return getattr(settings, "PIWARDEN_NOTIFY_DEFAULT_LANGUAGE", "zh-hans")


def _rows(sql: str, column: str, subject_ids: list, extra: list = ()) -> list[tuple]:
    """Rows of ``sql`` (with ``{where}`` for the id filter) for many subject ids at once."""
    connection = transaction.get_connection()
    where, params = bulk.uuid_in(column, subject_ids, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where=where), [*params, *extra])
        return cursor.fetchall()


def keyed(subject_ids: list):
    """A function from a subject id as the driver returns it (a UUID on PostgreSQL, its hex
    on SQLite) to the caller's own id object, without parsing a UUID per row."""
    by_hex = {sid.hex: sid for sid in subject_ids}
    return lambda raw: by_hex[raw] if isinstance(raw, str) else raw


def people(subject_ids: list) -> dict:
    """What each person has (no values): an account, and which contact fields are stored.
    Raw SQL with the ids as one parameter: three queries per chunk of a thousand."""
    found = {sid: Person() for sid in subject_ids}
    if not subject_ids:
        return found
    key = keyed(subject_ids)
    account, user = Account._meta.db_table, get_user_model()._meta.db_table
    for sid, email_at, phone_at, active in _rows(
            f"SELECT a.subject_id, a.email_verified_at, a.phone_verified_at, u.is_active "  # noqa: S608
            f"FROM {account} a JOIN {user} u ON u.id = a.user_id WHERE {{where}}",
            "a.subject_id", subject_ids):
        person = found[key(sid)]
        person.has_account = bool(active)
        person.email_verified, person.phone_verified = email_at is not None, phone_at is not None
    values, keys = VaultValue._meta.db_table, DataKey._meta.db_table
    for sid, field in _rows(
            f"SELECT v.subject_id, v.field FROM {values} v JOIN {keys} k "  # noqa: S608
            f"ON k.subject_id = v.subject_id WHERE {{where}} AND k.shredded_at IS NULL "
            f"AND v.field IN (%s, %s)", "v.subject_id", subject_ids, ["email", "phone"]):
        setattr(found[key(sid)], f"has_{field}", True)
    _languages(found, key)
    return found


def _languages(found: dict, key) -> None:
    """Accounts hold no language preference; the language of the person's latest rights
    request is the one they chose on our pages, else the default (zh-Hans, controlling)."""
    from piwarden.rights.models import RightsRequest

    table = RightsRequest._meta.db_table
    for sid, params in _rows(f"SELECT subject_id, params FROM {table} "  # noqa: S608
                             f"WHERE {{where}} ORDER BY received_at", "subject_id", list(found)):
        params = json.loads(params) if isinstance(params, str) else (params or {})
        lang = str(params.get("lang", "")) if isinstance(params, dict) else ""
        if lang:
            found[key(sid)].language = "zh-hans" if lang.startswith("zh") else "en"
    for person in found.values():
        person.language = person.language or default_language()


def choose(person: Person, channels: list[str]) -> str:
    """The first of the campaign's channels the person can be reached by ("" for none)."""
    for channel in channels:
        if ((channel == Channel.EMAIL and person.has_email and person.email_verified)
                or (channel == Channel.SMS and person.has_phone and person.phone_verified)
                or (channel == Channel.SITE and person.has_account)
                or (channel == Channel.PHONE and person.has_phone)):
            return channel
    return ""


def contacts(subject_ids: list, category: str) -> dict:
    """``{subject_id: {field: value}}`` of one contact category (``user.contact.email`` or
    ``.phone``), decrypted in bulk by the vault (the caller audits the read)."""
    return vault_data.package(list(subject_ids), frozenset({category})) if subject_ids else {}
