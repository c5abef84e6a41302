"""Campaign scans on the shared sealed-file module (vault/files.py): scans stored before the
move still open, and the module's type sniffing and key checks."""

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile

from piwarden.audit.actors import Actor
from piwarden.campaigns import services
from piwarden.vault import files
from piwarden.vault import services as vault

from .factories import SCAN_SECRET, campaign, entry

pytestmark = pytest.mark.django_db
STAFF_READER = Actor.system("tests")


def _old_format_seal(data: bytes, key: str, entry_id) -> bytes:
    """How campaigns/scans.py sealed a scan before vault/files.py existed (written out here,
    so the test does not depend on the code it checks)."""
    nonce = os.urandom(12)
    aad = f"piwarden.campaigns.scan|{entry_id}".encode()
    return b"\x01" + nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, data, aad)


def test_a_scan_sealed_before_the_move_still_opens():
    e = entry(campaign())
    key = vault.reveal(actor=STAFF_READER, subject=e.subject, field=services.SCAN_KEY,
                       purpose="consent.management")
    event = e.consent_event
    event.evidence.storage.delete(event.evidence.name)
    event.evidence.storage.save(event.evidence.name,
                                ContentFile(_old_format_seal(b"%PDF-1.4 old scan", key, e.pk)))
    data, kind = services.read_scan(actor=STAFF_READER, entry=e, reason="check the old scan")
    assert data == b"%PDF-1.4 old scan" and kind == "application/pdf"


def test_a_scan_does_not_open_as_another_kind_of_file():
    e = entry(campaign())
    key = vault.reveal(actor=STAFF_READER, subject=e.subject, field=services.SCAN_KEY,
                       purpose="consent.management")
    with e.consent_event.evidence.open("rb") as handle:
        blob = handle.read()
    assert SCAN_SECRET in files.open_(blob, key=key, kind=services.SCAN_KIND, owner_id=e.pk)
    with pytest.raises(vault.DecryptionFailed):
        files.open_(blob, key=key, kind="rights.evidence", owner_id=e.pk)


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.7 x", files.PDF),
    (b"\xff\xd8\xff\xe0 jfif", files.JPEG),
    (b"\x89PNG\r\n\x1a\n....", files.PNG),
    (b"Received: from mx\r\nFrom: a@b.cn\r\n\r\n\xd6\xd0\xce\xc4", files.EML),  # GBK body
    ("请删除我的数据".encode(), files.TEXT),
    (b"  <!DOCTYPE html><script>", None),
    (b"<svg onload=alert(1)>", None),
    (b"\xd6\xd0\xce\xc4 no header", None),
    (b"text with a \x00 byte", None),
    (b"", None),
])
def test_content_type_comes_from_the_bytes(data, kind):
    assert files.content_type(data) == kind


def test_the_key_normalizer_takes_only_32_byte_base64_keys():
    key = files.new_key()
    assert files.normalize_key(key) == key and files.mask_key(key) == "••••••"
    for bad in ("", "not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(vault.InvalidValue):
            files.normalize_key(bad)
