"""A stolen database shows no PI: the raw file or every table holds none of the plaintexts."""

import json
import subprocess
from pathlib import Path

from django.db import connection

from piwarden.audit.actors import Actor
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import services as vault

PEOPLE = [
    {"phone": "+86 139 8765 4321", "email": "Zhang.Wei@Mail-Example.CN",
     "id_number": "11010519491231002X", "bank_account": "6222 0212 3456 7890 123",
     "street": "中关村大街二十七号院"},
    {"phone": "13712349876", "email": "li.na.1988@example.org",
     "id_number": "44030419880101123X", "bank_account": "6217001234567890",
     "street": "Nanshan Science Park Road 9"},
]


def secrets_of(person: dict) -> list[bytes]:
    """Every form in which a value could leak: as typed, normalized, digits only, lowercased."""
    digits = lambda v: "".join(c for c in v if c.isdigit())  # noqa: E731
    phone_national = digits(person["phone"])[-11:]
    texts = [
        person["phone"], "+86" + phone_national, phone_national,
        person["email"], person["email"].lower(), person["email"].split("@")[0],
        person["id_number"], person["id_number"][:17],
        person["bank_account"], digits(person["bank_account"]),
        person["street"], address_of(person),
    ]
    return [t.encode() for t in texts]


def address_of(person: dict) -> str:
    return json.dumps({"province": "广东省", "city": "深圳市", "district": "南山区",
                       "street": person["street"], "postcode": "518057"}, ensure_ascii=False)


def raw_database() -> bytes:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        path = Path(connection.settings_dict["NAME"])
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        # Read by another process: closing a file descriptor of these files in this one would
        # drop every POSIX lock this process's SQLite connection holds on them, and the next
        # process to close its connection would then delete the WAL this one still writes to.
        return subprocess.run(["cat", *(str(f) for f in files if f.exists())],
                              capture_output=True, check=True).stdout
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [name for (name,) in cursor.fetchall()]
        assert "vault_vaultvalue" in tables and "vault_datakey" in tables
        for table in tables:
            cursor.execute(f'SELECT CAST(t AS text) FROM "{table}" AS t')
            chunks.extend(row[0].encode() for row in cursor.fetchall())
    return b"\n".join(chunks)


def test_no_plaintext_pi_in_the_raw_database(committed_db):
    actor = Actor.system("tests")
    for person in PEOPLE:
        subject = create_subject(actor=actor, kind=SubjectKind.ACCOUNT_HOLDER)
        vault.put(actor=actor, subject=subject, field="phone", value=person["phone"],
                  purpose="account.registration")
        vault.put(actor=actor, subject=subject, field="email", value=person["email"],
                  purpose="account.registration")
        vault.put(actor=actor, subject=subject, field="id_number", value=person["id_number"],
                  purpose="service.provision")
        vault.put(actor=actor, subject=subject, field="bank_account",
                  value=person["bank_account"], purpose="payment.invoicing")
        vault.put(actor=actor, subject=subject, field="address", value=address_of(person),
                  purpose="account.profile_edit")
        assert vault.masked(subject, "id_number") is not None

    dump = raw_database()
    assert b"vault.value_written" in dump  # the dump does contain the committed rows
    assert b"****" in dump
    leaks = [s for person in PEOPLE for s in secrets_of(person) if s in dump]
    assert leaks == []
