"""Screening of rights requests (V-5.1a): the request text and a text or e-mail attachment are
screened before the vault; the person sees where something was removed, in their language, in
their own request; a correction of an ID number keeps the number (it is what the field
holds); an image is not scanned."""

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent.services import policy_version
from piwarden.discovery import screening
from piwarden.rights import services
from piwarden.rights.models import RightsRequest
from piwarden.vault import files
from piwarden.vault import services as vault
from tests.rights.conftest import (  # noqa: F401  (fixtures)
    account,
    login,
    rights_settings,
    sign_up,
)

from .test_screening import MOBILE, VALID_ID, tables_holding

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def _evidence(req) -> bytes:
    with req.evidence.open("rb") as handle:
        blob = handle.read()
    key = vault.reveal(actor=SYSTEM, subject=req.subject, field=services.EVIDENCE_KEY,
                       purpose=services.PURPOSE)
    return files.open_(blob, key=key, kind=services.EVIDENCE_KIND, owner_id=req.pk)


def test_v_5_1a_request_text_is_redacted_and_the_person_sees_it(
        account, django_capture_on_commit_callbacks):  # noqa: F811
    client = login(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/privacy/requests/new/", {
            "type": "complaint", "notice_version": policy_version(),
            "text": f"You called {MOBILE} although my ID {VALID_ID} is on the blacklist."})
    assert response.status_code == 302, response.content[:300]
    req = RightsRequest.objects.get(subject=account.subject)
    expected = f"You called {MOBILE} although my ID [REDACTED] is on the blacklist."
    assert services.details(req) == expected
    assert tables_holding(VALID_ID) == []
    page = client.get(f"/privacy/requests/{req.pk}/").content.decode()
    assert expected.replace("[REDACTED]", "[removed]") in page and VALID_ID not in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/privacy/requests/{req.pk}/").content.decode()
    assert expected.replace("[REDACTED]", "【已删除】") in page and "REDACTED" not in page
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail == {"field": "rights_details", "source": "rights.submit",
                             "found": {"cn_mobile": 1, "cn_resident_id": 1},
                             "redacted": ["user.id_info"]}


def test_v_5_1a_correction_of_the_id_number_keeps_the_number(account):  # noqa: F811
    with transaction.atomic():
        req = services.submit(actor=Actor.person(account.subject), subject=account.subject,
                              type="correction", channel="privacy_center",
                              params={"field": "id_info"}, text=VALID_ID)
    assert services.details(req) == VALID_ID
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail["redacted"] == [] and record.detail["found"] == {"cn_resident_id": 1}


def test_v_5_1a_text_attachment_is_redacted_and_its_name_stored_nowhere(account):  # noqa: F811
    mail = (f"From: someone@example.cn\r\nSubject: delete\r\n\r\nPlease delete my data. "
            f"ID {VALID_ID}, phone {MOBILE}.").encode()
    upload = SimpleUploadedFile(f"身份证{VALID_ID}.eml", mail, "message/rfc822")
    with transaction.atomic():
        req = services.submit(actor=SYSTEM, subject=account.subject, type="complaint",
                              channel="staff", text="By e-mail.", evidence=upload)
    assert _evidence(req) == mail.replace(VALID_ID.encode(), b"[REDACTED]")  # nothing else
    assert VALID_ID not in req.evidence.name
    assert tables_holding(VALID_ID) == []
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail["field"] == services.EVIDENCE_KEY
    assert record.detail["found"] == {"cn_mobile": 1, "cn_resident_id": 1, "email": 1}


def test_an_image_attachment_is_not_scanned_and_stays_as_sent(account):  # noqa: F811
    """An image's text cannot be read without OCR: the scan is stored as sent (sealed)."""
    png = b"\x89PNG\r\n\x1a\n" + VALID_ID.encode()
    with transaction.atomic():
        req = services.submit(actor=SYSTEM, subject=account.subject, type="complaint",
                              channel="staff", text="By post.",
                              evidence=SimpleUploadedFile("scan.png", png, "image/png"))
    assert _evidence(req) == png
    assert not AuditEvent.objects.filter(action="discovery.screened").exists()



@pytest.fixture
def submit_mail(account):  # noqa: F811
    def submit(data: bytes):
        with transaction.atomic():
            return services.submit(
                actor=SYSTEM, subject=account.subject, type="complaint", channel="staff",
                text="By e-mail.",
                evidence=SimpleUploadedFile("mail.eml", data, "message/rfc822"))

    return submit


def _mail(cte: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Zhang San <someone@example.cn>"
    message["To"] = "privacy@example.com"
    message["Subject"] = "请删除我的数据"
    message.set_content(f"身份证号{VALID_ID}，手机{MOBILE}\n", cte=cte)
    return message


def _parsed(stored: bytes) -> EmailMessage:
    return email.message_from_bytes(stored, policy=email.policy.default)


def _bodies(message: EmailMessage) -> list:
    """The decoded body of each part, line ends as ``\\n``."""
    return [body.replace("\r\n", "\n") if isinstance(body := part.get_content(), str)
            else body for part in message.walk() if not part.is_multipart()]


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_v_5_1a_encoded_email_body_is_decoded_screened_and_redacted(submit_mail, cte):
    """A base64 or quoted-printable body is decoded before the scan: the ID number is found
    (the base64 bytes of it would not be) and the stored e-mail, still a valid message,
    carries the redacted text; the phone number, declared by the purpose, stays."""
    sent = _mail(cte).as_bytes()
    if cte == "base64":
        assert VALID_ID.encode() not in sent  # invisible to a scan of the raw bytes
    req = submit_mail(sent)
    stored = _parsed(_evidence(req))
    assert _bodies(stored) == [f"身份证号[REDACTED]，手机{MOBILE}\n"]
    assert stored["Subject"] == "请删除我的数据" and stored["From"].addresses[0].username == \
        "someone"
    assert not stored.defects and tables_holding(VALID_ID) == []
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail == {"field": services.EVIDENCE_KEY, "source": "rights.submit",
                             "found": {"cn_mobile": 1, "cn_resident_id": 1, "email": 2},
                             "redacted": ["user.id_info"]}


def test_v_5_1a_quoted_printable_soft_breaks_do_not_split_the_number(submit_mail):
    """A soft line break (``=`` at the end of a line) and ``=XX`` escapes inside the number:
    decoded, the digits are one number again."""
    half = len(VALID_ID) // 2
    body = (f"Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"ID {VALID_ID[:half]}=\r\n{VALID_ID[half:-2]}=3{VALID_ID[-2]}{VALID_ID[-1]} ok")
    sent = (f"From: someone@example.cn\r\nSubject: qp\r\nMIME-Version: 1.0\r\n{body}"
            ).encode()
    req = submit_mail(sent)
    stored = _evidence(req)
    assert _bodies(_parsed(stored)) == ["ID [REDACTED] ok\n"]
    assert VALID_ID[:half].encode() not in stored and VALID_ID[half:-2].encode() not in stored


def test_v_5_1a_multipart_email_attachments_and_headers_are_screened(submit_mail):
    """Every text part and every header (RFC 2047 encoded ones decoded) is screened; an
    image attachment is kept as sent; the structure of the message stays."""
    message = _mail("base64")
    message.replace_header("Subject", f"身份证{VALID_ID}")
    message.add_alternative(f"<p>ID {VALID_ID}</p>", subtype="html")
    png = b"\x89PNG\r\n\x1a\n" + b"pixels"
    message.add_attachment(png, maintype="image", subtype="png", filename="scan.png")
    message.add_attachment(f"note: ID {VALID_ID}".encode(), maintype="application",
                           subtype="octet-stream", filename=f"身份证{VALID_ID}.txt")
    req = submit_mail(message.as_bytes())
    stored = _evidence(req)
    assert VALID_ID[:14].encode() not in stored
    parsed = _parsed(stored)
    assert parsed["Subject"] == "身份证[REDACTED]"
    bodies = dict(zip([part.get_content_type() for part in parsed.walk()
                       if not part.is_multipart()], _bodies(parsed), strict=True))
    assert bodies["text/plain"] == f"身份证号[REDACTED]，手机{MOBILE}\n"
    assert bodies["text/html"] == "<p>ID [REDACTED]</p>\n"
    assert bodies["image/png"] == png
    assert bodies["application/octet-stream"] == b"note: ID [REDACTED]"
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert names == ["scan.png", "身份证[REDACTED].txt"]
    assert tables_holding(VALID_ID) == []


def test_v_5_1a_an_email_attached_as_a_file_is_screened_as_an_email(submit_mail):
    """An e-mail forwarded as an application/octet-stream attachment, its own body in base64:
    read as an e-mail (not as text, where the base64 would hide the ID number), its body
    redacted inside the attachment; the attachment's name and the rest stay as sent."""
    inner = _mail("base64")
    outer = EmailMessage()
    outer["From"] = "someone@example.cn"
    outer["Subject"] = "Fwd"
    outer.set_content("Forwarding the message they sent me.")
    outer.add_attachment(inner.as_bytes(), maintype="application", subtype="octet-stream",
                         filename="original.eml")
    req = submit_mail(outer.as_bytes())
    stored = _parsed(_evidence(req))
    attachment = next(stored.iter_attachments())
    assert attachment.get_filename() == "original.eml"
    assert attachment.get_content_type() == "application/octet-stream"
    forwarded = _parsed(attachment.get_content())
    assert forwarded["Subject"] == "请删除我的数据"
    assert _bodies(forwarded) == [f"身份证号[REDACTED]，手机{MOBILE}\n"]
    assert _bodies(stored)[0] == "Forwarding the message they sent me.\n"
    assert tables_holding(VALID_ID) == []
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail["redacted"] == ["user.id_info"]
    assert record.detail["found"]["cn_resident_id"] == 1


def test_an_email_attached_as_a_file_and_clean_stays_as_sent(submit_mail):
    outer = EmailMessage()
    outer["From"] = "someone@example.cn"
    outer.set_content(f"ID {VALID_ID}")
    inner = _mail("base64")
    inner.set_content("Please delete my account.", cte="base64")
    outer.add_attachment(inner.as_bytes(), maintype="application", subtype="octet-stream",
                         filename="original.eml")
    sent = outer.as_bytes()
    stored = _parsed(_evidence(submit_mail(sent)))
    assert next(stored.iter_attachments()).get_content() == inner.as_bytes()
    assert _bodies(stored)[0] == "ID [REDACTED]\n"


def test_v_5_1a_a_part_that_cannot_be_decoded_is_removed(submit_mail):
    """A part whose transfer encoding is broken, or whose text is not valid in its charset,
    cannot be screened for certain: it is replaced by a note, the rest is kept, and the
    audit record counts the part removed (the e-mail is otherwise clean)."""
    broken = (b"From: someone@example.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
              b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease delete.\r\n"
              b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\nMTEwMTAxMTk5MDAzMDc3NTcx!*\r\n"
              b"--XX\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
              b"\xff\xfe1101011990\xff03077571\r\n--XX--\r\n")
    req = submit_mail(broken)
    stored = _evidence(req)
    assert b"MTEwMTAx" not in stored and b"03077571" not in stored
    assert _bodies(_parsed(stored)) == ["Please delete.", screening.REMOVED_PART + "\n",
                                        screening.REMOVED_PART + "\n"]
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail == {"field": services.EVIDENCE_KEY, "source": "rights.submit",
                             "found": {"email": 1}, "redacted": [], "parts_removed": 2}


def test_a_clean_encoded_email_is_stored_as_sent(submit_mail):
    sent = _mail("base64")
    sent.set_content("Please delete my account.", cte="base64")
    req = submit_mail(sent.as_bytes())
    assert _evidence(req) == sent.as_bytes()


def test_an_email_that_does_not_serialize_again_is_stored_as_its_redacted_text(
        submit_mail, monkeypatch):
    """The fallback: headers and decoded text parts, redacted, as plain text."""
    def refuse(*args, **kwargs):
        raise ValueError("cannot serialize")

    monkeypatch.setattr(EmailMessage, "as_bytes", refuse)
    sent = _mail("base64")
    sent = EmailMessage.__bases__[0].as_bytes(sent)  # MIMEPart.as_bytes, not patched
    req = submit_mail(sent)
    stored = _evidence(req).decode()
    assert VALID_ID not in stored
    assert "Subject: 请删除我的数据" in stored and f"身份证号[REDACTED]，手机{MOBILE}" in stored
