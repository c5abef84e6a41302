"""Vault speed: value encryption and decryption, data key unwrapping, and login lookups.

    python bench/vault.py [--db sqlite|postgres] [--accounts 100000] [--values 50000]

Figures: AES-256-GCM sealing and opening of one phone number with a warm data key (the raw
crypto path, associated data included, one core); unwrapping a data key under the master key
(what the per-process data key cache saves on each read); a full reveal() of a phone number;
and find_subject_ids("phone", ...) p50/p99 with --accounts subjects holding a phone. The
subjects are seeded with bulk inserts through the vault's own sealing code (no audit record:
seeding is not what is measured). Runs on a scratch database that it creates and removes.
Prints one JSON object per figure.
"""

import argparse
import json
import random
import statistics
import time

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_vault"


def _phone(number: int) -> str:
    return f"+86138{number:08d}"


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _crypto_figures(count: int, common: dict) -> None:
    import uuid

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from piwarden.vault import crypto, keys

    subject_id = uuid.uuid4()
    aead = AESGCM(crypto.new_data_key())
    value = _phone(12345678)
    sealed = [b""] * count
    started = time.perf_counter()
    for n in range(count):
        sealed[n] = crypto.seal(aead, value, crypto.value_aad(subject_id, "phone", 1))
    encrypt = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for blob in sealed:
        crypto.open_sealed(aead, blob, crypto.value_aad(subject_id, "phone", 1))
    decrypt = count / (time.perf_counter() - started)
    params = {"unit": "1/s", "values": count, "field": "phone", "warm_data_key": True, **common}
    print(json.dumps({"metric": "encryptions_per_s", "value": round(encrypt), **params}),
          flush=True)
    print(json.dumps({"metric": "decryptions_per_s", "value": round(decrypt), **params}),
          flush=True)

    provider = keys.get_provider()
    version = provider.current_version()
    aad = crypto.data_key_aad(subject_id, version)
    wrapped = provider.wrap(version, crypto.new_data_key(), aad)
    started = time.perf_counter()
    for _ in range(count):
        AESGCM(provider.unwrap(version, wrapped, aad))
    unwrap = count / (time.perf_counter() - started)
    print(json.dumps({"metric": "data_key_unwraps_per_s", "value": round(unwrap), "unit": "1/s",
                      "provider": type(provider).__name__, "values": count, **common}),
          flush=True)


def _seed(accounts: int, batch: int = 5000) -> None:
    """Subjects with a phone each, written with the vault's sealing code in bulk."""
    from django.db import transaction

    from piwarden.subjects.models import Subject, SubjectKind
    from piwarden.vault import envelope, fields
    from piwarden.vault.models import DataKey, VaultValue

    phone = fields.get("phone")
    for first in range(0, accounts, batch):
        numbers = range(first, min(accounts, first + batch))
        subjects = [Subject(kind=SubjectKind.ACCOUNT_HOLDER) for _ in numbers]
        data_keys, values = [], []
        for subject, number in zip(subjects, numbers, strict=True):
            data_key, aead = envelope.create_data_key(subject.pk)
            data_keys.append(data_key)
            columns = envelope.sealed_columns(data_key=data_key, aead=aead, vault_field=phone,
                                              normalized=_phone(number))
            values.append(VaultValue(subject_id=subject.pk, field="phone", **columns))
        with transaction.atomic():
            Subject.objects.bulk_create(subjects)
            DataKey.objects.bulk_create(data_keys)
            VaultValue.objects.bulk_create(values)


def _lookup_figure(accounts: int, common: dict) -> None:
    from piwarden.vault import services as vault

    rng = random.Random(7)  # noqa: S311 (which numbers to look up, not a secret)
    # As people type them: national format with spaces, and some numbers nobody holds.
    asked = [(f"138 {n // 10000:04d} {n % 10000:04d}", n < accounts)
             for n in (rng.randrange(accounts * 11 // 10) for _ in range(2000))]
    vault.find_subject_ids("phone", asked[0][0])  # warm the connection and the key provider
    samples = []
    for typed, exists in asked:
        started = time.perf_counter()
        found = vault.find_subject_ids("phone", typed)
        samples.append((time.perf_counter() - started) * 1000)
        if bool(found) != exists:
            raise SystemExit(f"lookup of {typed!r} found {found}, expected a match: {exists}")
    print(json.dumps({"metric": "login_lookup_ms",
                      "value": round(_percentile(samples, 0.99), 3), "percentile": 99,
                      "p50": round(statistics.median(samples), 3), "unit": "ms",
                      "accounts": accounts, "lookups": len(samples), **common}), flush=True)


def _reveal_figure(common: dict, count: int = 1000) -> None:
    """One reveal() of a (non-sensitive) phone number: catalog check, consent decision, read,
    decryption; with the data key cache warm and cold."""
    from django.db import transaction

    from piwarden.audit.actors import Actor
    from piwarden.subjects.models import SubjectKind
    from piwarden.subjects.services import create_subject
    from piwarden.vault import envelope
    from piwarden.vault import services as vault

    actor = Actor.system("bench")
    with transaction.atomic():
        subject = create_subject(actor=actor, kind=SubjectKind.ACCOUNT_HOLDER)
        vault.put(actor=actor, subject=subject, field="phone", value="13912345678",
                  purpose="account.registration")
    for cache in ("warm", "cold"):
        samples = []
        for _ in range(count):
            if cache == "cold":
                envelope.key_cache.clear()
            started = time.perf_counter()
            vault.reveal(actor=actor, subject=subject, field="phone",
                         purpose="account.registration")
            samples.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"metric": "reveal_ms",
                          "value": round(statistics.median(samples), 3), "percentile": 50,
                          "p99": round(_percentile(samples, 0.99), 3), "unit": "ms",
                          "data_key_cache": cache, "reveals": count, **common}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--accounts", type=int, default=100_000,
                        help="subjects holding a phone for the lookup figure")
    parser.add_argument("--values", type=int, default=50_000,
                        help="values per encryption/decryption measurement")
    args = parser.parse_args()

    with scratch_database(args.db, PG_BENCH_DB):
        from django.db import connections

        common = {"db": args.db}
        _crypto_figures(args.values, common)
        _seed(args.accounts)
        _lookup_figure(args.accounts, common)
        _reveal_figure(common)
        connections.close_all()


if __name__ == "__main__":
    ensure_project_python()
    main()
