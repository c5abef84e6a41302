import contextlib
import uuid

import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.vault import envelope, keys
from piwarden.vault import services as vault
from piwarden.vault.models import DataKey, VaultValue
from tests.vault.conftest import KEY_1, KEY_2, use_keys

pytestmark = pytest.mark.django_db

PHONE = "138 1234 5678"
ADDRESS = ('{"province": "北京市", "city": "北京市", "street": "中关村大街27号", '
           '"postcode": "100080"}')


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def test_put_stores_ciphertext_mask_and_audit_without_the_value(actor, subject):
    """A written value is stored encrypted, masked, and audited with its category only."""
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    row = VaultValue.objects.get(subject=subject, field="phone")
    assert b"13812345678" not in bytes(row.ciphertext)
    assert row.mask == "138****5678"
    assert row.blind_index.startswith("1:")
    event = last_event("vault.value_written")
    assert event.subject_id == subject.pk
    assert event.categories == ["user.contact.phone"]
    assert event.purpose == "account.registration"
    assert event.detail == {"field": "phone", "key_version": 1, "master_key_version": 1,
                            "replaced": False}
    assert "5678" not in str(event.detail)


def test_put_replaces_the_earlier_value(actor, subject):
    """A second put overwrites the first: one row per field, new mask, old value not findable."""
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.profile_edit")
    vault.put(actor=actor, subject=subject, field="phone", value="13900001111",
              purpose="account.profile_edit")
    assert VaultValue.objects.filter(subject=subject).count() == 1
    assert vault.masked(subject, "phone") == "139****1111"
    assert vault.find_subject_ids("phone", PHONE) == []
    assert vault.find_subject_ids("phone", "+86 139 0000 1111") == [subject.pk]
    assert last_event("vault.value_written").detail["replaced"] is True


def test_put_refuses_invalid_values_and_unknown_fields(actor, subject):
    with pytest.raises(vault.InvalidValue):
        vault.put(actor=actor, subject=subject, field="phone", value="12345",
                  purpose="account.registration")
    with pytest.raises(ValueError):  # InvalidValue is a ValueError for form code
        vault.put(actor=actor, subject=subject, field="email", value="not-an-email",
                  purpose="account.registration")
    with pytest.raises(vault.UnknownField):
        vault.put(actor=actor, subject=subject, field="shoe_size", value="42",
                  purpose="account.registration")
    assert not VaultValue.objects.filter(subject=subject).exists()


def test_put_refused_when_no_activity_of_the_purpose_covers_the_category(actor, subject):
    """Z-1 for writes: logging never collects phone numbers; the refusal is audited."""
    with pytest.raises(vault.WriteRefused) as refused:
        vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
                  purpose="log.operation")
    assert refused.value.reason == "PURPOSE_NOT_PERMITTED"
    with pytest.raises(vault.WriteRefused) as refused:
        vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
                  purpose="no.such.purpose")
    assert refused.value.reason == "UNKNOWN_PURPOSE"
    assert not VaultValue.objects.filter(subject=subject).exists()
    assert not DataKey.objects.filter(subject=subject).exists()
    events = AuditEvent.objects.filter(action="vault.write_refused", subject=subject)
    assert [(e.outcome, e.purpose, e.detail["refusal"]) for e in events.order_by("seq")] == [
        ("denied", "log.operation", "PURPOSE_NOT_PERMITTED"), ("denied", "", "UNKNOWN_PURPOSE")]


@pytest.mark.parametrize(("field", "value", "mask"), [
    ("phone", "+86 138-1234-5678", "138****5678"),
    ("email", "alice@Example.COM", "a***@example.com"),
    ("id_number", "11010119900307002x", "1101**********002X"),
    ("bank_account", "6222 0212 3456 7890 123", "6222***********0123"),
    ("name", "张三", "张*"),
    ("address", ADDRESS, "北京市 北京市 ****"),
    ("contact_other", "wechat: alice_li", "w********"),
])
def test_masked_values(actor, subject, field, value, mask):
    """Masks are stored at write time, so reading them needs no key and writes no audit."""
    purpose = {"phone": "account.registration", "email": "account.registration",
               "bank_account": "payment.invoicing"}.get(field, "service.provision")
    vault.put(actor=actor, subject=subject, field=field, value=value, purpose=purpose)
    envelope.key_cache.clear()
    keys.reset_provider()
    before = AuditEvent.objects.count()
    assert vault.masked(subject, field) == mask
    assert AuditEvent.objects.count() == before


def test_masked_is_none_without_a_value(subject):
    assert vault.masked(subject, "phone") is None


def test_find_subject_ids_matches_the_normalized_value(actor, make_subject):
    """Lookup works on any spelling of the same phone number, and e-mail ignores case."""
    alice, bob = make_subject(), make_subject()
    vault.put(actor=actor, subject=alice, field="phone", value=PHONE,
              purpose="account.registration")
    vault.put(actor=actor, subject=alice, field="email", value="Alice.Li@Example.com",
              purpose="account.registration")
    vault.put(actor=actor, subject=bob, field="phone", value="13900001111",
              purpose="account.registration")
    assert vault.find_subject_ids("phone", "+8613812345678") == [alice.pk]
    assert vault.find_subject_ids("phone", "(0086) 138 1234 5678") == [alice.pk]
    assert vault.find_subject_ids("email", "alice.li@example.com") == [alice.pk]
    assert vault.find_subject_ids("email", " ALICE.LI@EXAMPLE.COM ") == [alice.pk]
    assert vault.find_subject_ids("phone", "13700000000") == []
    assert vault.find_subject_ids("phone", "garbage") == []
    with pytest.raises(vault.NotIndexed):
        vault.find_subject_ids("name", "张三")


def test_same_value_in_two_fields_has_different_blind_indexes(actor, subject):
    """The field name is part of the indexed message, so fields cannot be matched across."""
    vault.put(actor=actor, subject=subject, field="id_number", value="12345678",
              purpose="service.provision")
    vault.put(actor=actor, subject=subject, field="bank_account", value="12345678",
              purpose="payment.invoicing")
    indexes = set(VaultValue.objects.filter(subject=subject)
                  .values_list("blind_index", flat=True))
    assert len(indexes) == 2


def test_delete(actor, subject):
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.profile_edit")
    assert vault.delete(actor=actor, subject=subject, field="phone",
                        purpose="account.profile_edit") is True
    assert vault.masked(subject, "phone") is None
    assert vault.find_subject_ids("phone", PHONE) == []
    event = last_event("vault.value_deleted")
    assert (event.subject_id, event.detail) == (subject.pk, {"field": "phone"})
    assert vault.delete(actor=actor, subject=subject, field="phone",
                        purpose="account.profile_edit") is False


def _stored(subject, field):
    row = VaultValue.objects.select_related("subject__vault_key").get(subject=subject,
                                                                      field=field)
    return row, row.subject.vault_key


def test_value_copied_to_another_field_or_subject_does_not_decrypt(actor, make_subject):
    """Associated data binds each ciphertext to its subject, field and key version."""
    alice, bob = make_subject(), make_subject()
    for who in (alice, bob):
        vault.put(actor=actor, subject=who, field="phone", value=PHONE,
                  purpose="account.registration")
        vault.put(actor=actor, subject=who, field="contact_other", value="qq 12345",
                  purpose="service.provision")
    row, data_key = _stored(alice, "phone")
    assert envelope.open_value(data_key=data_key, field="phone", ciphertext=row.ciphertext,
                            key_version=row.key_version) == "+8613812345678"
    with pytest.raises(vault.DecryptionFailed):  # copied into alice's other field
        envelope.open_value(data_key=data_key, field="contact_other",
                         ciphertext=row.ciphertext, key_version=row.key_version)
    with pytest.raises(vault.DecryptionFailed):  # claimed to be of another key version
        envelope.open_value(data_key=data_key, field="phone", ciphertext=row.ciphertext,
                         key_version=row.key_version + 1)
    _, bob_key = _stored(bob, "phone")
    with pytest.raises(vault.DecryptionFailed):  # alice's ciphertext copied into bob's row
        envelope.open_value(data_key=bob_key, field="phone", ciphertext=row.ciphertext,
                         key_version=row.key_version)
    # ...even when bob's wrapped data key is copied along with it
    stolen = DataKey(subject_id=bob.pk, master_version=data_key.master_version,
                     wrapped=bytes(data_key.wrapped))
    with pytest.raises(vault.DecryptionFailed):
        envelope.open_value(data_key=stolen, field="phone", ciphertext=row.ciphertext,
                         key_version=row.key_version)


def test_reveal_detects_a_tampered_or_swapped_row(actor, make_subject):
    alice, bob = make_subject(), make_subject()
    vault.put(actor=actor, subject=alice, field="phone", value=PHONE,
              purpose="account.registration")
    vault.put(actor=actor, subject=bob, field="phone", value="13900001111",
              purpose="account.registration")
    alice_row, _ = _stored(alice, "phone")
    VaultValue.objects.filter(subject=bob, field="phone").update(ciphertext=alice_row.ciphertext)
    with pytest.raises(vault.DecryptionFailed):
        vault.reveal(actor=actor, subject=bob, field="phone", purpose="account.registration")
    flipped = bytearray(alice_row.ciphertext)
    flipped[-1] ^= 1
    VaultValue.objects.filter(pk=alice_row.pk).update(ciphertext=bytes(flipped))
    with pytest.raises(vault.DecryptionFailed):
        vault.reveal(actor=actor, subject=alice, field="phone", purpose="account.registration")


def test_each_subject_has_its_own_data_key(actor, make_subject):
    alice, bob = make_subject(), make_subject()
    for who in (alice, bob):
        vault.put(actor=actor, subject=who, field="name", value="张三",
                  purpose="service.provision")
    a, b = (bytes(DataKey.objects.get(subject=s).wrapped) for s in (alice, bob))
    assert a != b
    ciphertexts = set(VaultValue.objects.filter(field="name").values_list("ciphertext",
                                                                           flat=True))
    assert len({bytes(c) for c in ciphertexts}) == 2


def test_a_wrong_master_key_cannot_open_data_keys(actor, subject, monkeypatch):
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    use_keys(monkeypatch, (1, KEY_2))
    with pytest.raises(vault.DecryptionFailed):
        vault.reveal(actor=actor, subject=subject, field="phone",
                     purpose="account.registration")


# --- shredding -----------------------------------------------------------------------------

def test_shred_makes_every_copy_unreadable_and_refuses_later_writes(actor, subject):
    vault.put(actor=actor, subject=subject, field="id_number", value="11010119900307002X",
              purpose="service.provision")
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    copy, _ = _stored(subject, "id_number")  # e.g. a copy in a dump

    vault.shred(actor=actor, subject=subject, reason="erasure request 42")

    assert not VaultValue.objects.filter(subject=subject).exists()
    tombstone = DataKey.objects.get(subject=subject)
    assert tombstone.shredded_at is not None and bytes(tombstone.wrapped) == b""
    assert vault.masked(subject, "phone") is None
    assert vault.find_subject_ids("phone", PHONE) == []
    with pytest.raises(vault.SubjectShredded):
        envelope.open_value(data_key=tombstone, field="id_number", ciphertext=copy.ciphertext,
                         key_version=copy.key_version)
    with pytest.raises(vault.SubjectShredded):
        vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
                  purpose="account.registration")
    event = last_event("vault.subject_shredded")
    assert event.subject_id == subject.pk
    assert event.categories == ["user.contact.phone", "user.id_info"]
    assert event.detail["fields"] == ["id_number", "phone"]
    assert event.detail["reason"] == "erasure request 42"


def test_backup_copy_is_unreadable_once_its_master_key_is_retired(actor, subject, monkeypatch):
    """A backup holds the wrapped key too: after shred + rotate, destroying the old master
    key version leaves the backup's copy of the subject unreadable (docs/vault.md)."""
    vault.put(actor=actor, subject=subject, field="bank_account", value="6222021234567890123",
              purpose="payment.invoicing")
    backup_row, backup_key = _stored(subject, "bank_account")
    backup_key = DataKey(subject_id=subject.pk, master_version=backup_key.master_version,
                         wrapped=bytes(backup_key.wrapped))
    assert envelope.open_value(data_key=backup_key, field="bank_account",
                            ciphertext=backup_row.ciphertext,
                            key_version=backup_row.key_version) == "6222021234567890123"
    vault.shred(actor=actor, subject=subject, reason="erasure")
    use_keys(monkeypatch, (1, KEY_1), (2, KEY_2))
    vault.rotate(actor=actor)
    assert vault.key_status()["retirable_versions"] == [1]
    use_keys(monkeypatch, (2, KEY_2))  # version 1 destroyed
    with pytest.raises(vault.KeyUnavailable):
        envelope.open_value(data_key=backup_key, field="bank_account",
                         ciphertext=backup_row.ciphertext, key_version=backup_row.key_version)


def test_shred_without_values_still_leaves_a_tombstone(actor, subject):
    vault.shred(actor=actor, subject=subject, reason="erasure")
    with pytest.raises(vault.SubjectShredded):
        vault.put(actor=actor, subject=subject, field="name", value="李四",
                  purpose="service.provision")
    with pytest.raises(vault.VaultError):
        vault.shred(actor=actor, subject=subject, reason="  ")


# --- rotation ------------------------------------------------------------------------------

def test_rotate_rewraps_every_key_and_reindexes_without_losing_lookups(actor, make_subject,
                                                                       monkeypatch):
    subjects = [make_subject() for _ in range(5)]
    for n, who in enumerate(subjects):
        vault.put(actor=actor, subject=who, field="phone", value=f"1380000000{n}",
                  purpose="account.registration")
        vault.put(actor=actor, subject=who, field="name", value=f"用户{n}",
                  purpose="service.provision")
    use_keys(monkeypatch, (1, KEY_1), (2, KEY_2))
    status = vault.key_status()
    assert status["current_version"] == 2
    assert status["data_keys_by_master_version"] == {1: 5}
    assert status["versions_in_use"] == [1]
    # Mid-rotation: old and new versions both in use, lookups and reveals keep working.
    first = vault._rotate_batch(actor=actor, subject_ids=[subjects[0].pk], version=2)
    assert first == (1, 1)
    assert vault.key_status()["versions_in_use"] == [1, 2]
    assert vault.find_subject_ids("phone", "13800000000") == [subjects[0].pk]
    assert vault.find_subject_ids("phone", "13800000004") == [subjects[4].pk]
    new = make_subject()  # written during the rotation: goes straight to version 2
    vault.put(actor=actor, subject=new, field="phone", value="13911112222",
              purpose="account.registration")

    result = vault.rotate(actor=actor, batch_size=2)
    assert (result.to_version, result.rewrapped, result.reindexed) == (2, 4, 4)
    status = vault.key_status()
    assert status["data_keys_by_master_version"] == {2: 6}
    assert status["blind_indexes_by_version"] == {2: 6}
    assert status["retirable_versions"] == [1]
    assert last_event("vault.keys_rotated").detail["to_version"] == 2

    use_keys(monkeypatch, (2, KEY_2))  # version 1 destroyed: everything still readable
    for n, who in enumerate(subjects):
        assert vault.find_subject_ids("phone", f"1380000000{n}") == [who.pk]
        assert vault.reveal(actor=actor, subject=who, field="phone",
                            purpose="account.registration") == f"+861380000000{n}"
    assert vault.rotate(actor=actor) == vault.RotationResult(2, 0, 0)


# --- reveal --------------------------------------------------------------------------------

def test_reveal_for_an_allowed_purpose_returns_the_normalized_value(actor, subject):
    vault.put(actor=actor, subject=subject, field="email", value="Alice@Example.COM",
              purpose="account.registration")
    before = AuditEvent.objects.count()
    assert vault.reveal(actor=actor, subject=subject, field="email",
                        purpose="account.registration") == "Alice@example.com"
    # Not sensitive, not staff: no audit record for this routine read.
    assert AuditEvent.objects.count() == before


def test_reveal_is_none_when_nothing_is_stored(actor, subject):
    assert vault.reveal(actor=actor, subject=subject, field="phone",
                        purpose="account.registration") is None


def test_reveal_refused_when_no_activity_of_the_purpose_covers_the_category(actor, subject):
    """log.operation processes logs, not phone numbers: refused and the refusal audited."""
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    with pytest.raises(vault.RevealRefused) as refused:
        vault.reveal(actor=actor, subject=subject, field="phone", purpose="log.operation")
    assert refused.value.reason == "PURPOSE_NOT_PERMITTED"
    event = last_event("vault.reveal_refused")
    assert (event.outcome, event.purpose, event.categories) == (
        "denied", "log.operation", ["user.contact.phone"])
    assert event.detail == {"field": "phone", "refusal": "PURPOSE_NOT_PERMITTED"}


def test_reveal_refused_for_an_unknown_purpose(actor, subject):
    with pytest.raises(vault.RevealRefused) as refused:
        vault.reveal(actor=actor, subject=subject, field="phone", purpose="spam.everyone")
    assert refused.value.reason == "UNKNOWN_PURPOSE"
    assert last_event("vault.reveal_refused").detail["purpose_asked"] == "spam.everyone"


def test_refusal_record_survives_when_the_caller_handles_the_error(actor, subject):
    """The caller's transaction (e.g. an API view answering 403) keeps the refusal record."""
    with transaction.atomic(), contextlib.suppress(vault.RevealRefused):
        vault.reveal(actor=actor, subject=subject, field="phone", purpose="log.operation")
    assert AuditEvent.objects.filter(action="vault.reveal_refused",
                                     subject=subject).exists()


def test_marketing_reveal_needs_consent(actor, subject):
    """Z-1: a marketing read of the phone number without marketing consent is refused."""
    from piwarden.consent import services as consent

    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    with pytest.raises(vault.RevealRefused) as refused:
        vault.reveal(actor=actor, subject=subject, field="phone", purpose="marketing.sms")
    assert refused.value.reason == "consent_missing"
    assert last_event("vault.reveal_refused").purpose == "marketing.sms"

    consent.grant(actor=Actor.person(subject), subject=subject, purpose="marketing.sms",
                  notice_text="We may send you product news by SMS.", channel="web")
    assert vault.reveal(actor=actor, subject=subject, field="phone",
                        purpose="marketing.sms") == "+8613812345678"

    consent.withdraw(actor=Actor.person(subject), subject=subject, purpose="marketing.sms",
                     notice_text="We may send you product news by SMS.", channel="web")
    with pytest.raises(vault.RevealRefused) as refused:
        vault.reveal(actor=actor, subject=subject, field="phone", purpose="marketing.sms")
    assert refused.value.reason == "consent_withdrawn"


def test_sensitive_reveal_needs_separate_consent_and_is_always_audited(actor, subject):
    from piwarden.consent import services as consent

    vault.put(actor=actor, subject=subject, field="id_number", value="11010119900307002X",
              purpose="service.provision")
    with pytest.raises(vault.RevealRefused) as refused:
        vault.reveal(actor=actor, subject=subject, field="id_number",
                     purpose="service.provision")
    assert refused.value.reason == "separate_consent_missing"

    consent.grant(actor=Actor.person(subject), subject=subject, purpose="service.provision",
                  scope="separate.sensitive", notice_text="We use your ID number to verify you.",
                  channel="web")
    assert vault.reveal(actor=actor, subject=subject, field="id_number",
                        purpose="service.provision") == "11010119900307002X"
    event = last_event("vault.value_revealed")
    assert event.subject_id == subject.pk
    assert (event.categories, event.purpose) == (["user.id_info"], "service.provision")
    assert event.legal_basis == "consent.separate"
    assert event.detail == {"field": "id_number", "key_version": 1}
    assert "002X" not in str(event.detail)


def test_staff_reveal_is_audited_with_the_reason(actor, subject):
    vault.put(actor=actor, subject=subject, field="email", value="alice@example.com",
              purpose="account.registration")
    staff = Actor("staff", "7")
    assert vault.reveal(actor=staff, subject=subject, field="email",
                        purpose="account.registration",
                        reason="ticket 981: user cannot log in") == "alice@example.com"
    event = last_event("vault.value_revealed")
    assert (event.actor_kind, event.actor_id) == ("staff", "7")
    assert event.detail["reason"] == "ticket 981: user cannot log in"


def test_reveal_uses_the_data_key_cache_but_never_a_shredded_key(actor, subject):
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    envelope.key_cache.clear()
    vault.reveal(actor=actor, subject=subject, field="phone", purpose="account.registration")
    assert len(envelope.key_cache._entries) == 1
    vault.shred(actor=actor, subject=subject, reason="erasure")
    assert len(envelope.key_cache._entries) == 0
    assert vault.reveal(actor=actor, subject=subject, field="phone",
                        purpose="account.registration") is None


def test_subject_ids_are_uuids(actor, subject):
    vault.put(actor=actor, subject=subject, field="phone", value=PHONE,
              purpose="account.registration")
    (found,) = vault.find_subject_ids("phone", PHONE)
    assert isinstance(found, uuid.UUID)
