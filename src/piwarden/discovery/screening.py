"""Screening free text at collection (V-5.1a, C-2.2.2): a person's text is scanned before it is
stored, and PI the purpose may not keep is redacted, so it is stored nowhere, not even
encrypted in the vault.

What is kept "follows the catalog" (``consent.decisions``' rules of the purpose):
- a sensitive category (its catalog grade) only when the purpose declares it and the person gave
  the purpose separate consent for sensitive PI (``separate.sensitive``); a call-back lead never
  has, so an ID number in a remark is redacted;
- any other category when one of the purpose's processing activities declares it;
- a Unified Social Credit Code always: it names an organisation, not a person;
- the categories the field itself is meant to hold (``expected``: a correction request's new
  value), whatever the above says.

At collection an ID number with a wrong check character is an ID number too: the person
mistyped one digit of their own number (the issue's own example, ``110101199003077578``, is
one). Discovery does not report such near misses (``scan``); screening redacts them when the
region and birth date are real (``_mistyped_ids``), since a remark loses nothing by it.

Each screening that finds something writes one audit record, in the caller's transaction, with
types, categories and counts, never a value.
"""

import email
import email.message
import email.policy
import re
from collections import Counter
from email import errors
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden import identifiers
from piwarden.audit import services as audit
from piwarden.consent import decisions
from piwarden.discovery import TYPES, Finding, redact, scan

ORGANISATION = "business.registration"
ACTION = "discovery.screened"
_EIGHTEEN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


class Screened(NamedTuple):
    text: str  # what may be stored
    found: dict[str, int]  # detector type -> count
    redacted: list[str]  # categories redacted, sorted


def _mistyped_ids(text: str, findings: list[Finding]) -> list[Finding]:
    """18-character numbers that are resident IDs but for the check character."""
    today, extra = timezone.localdate(), []
    for match in _EIGHTEEN.finditer(text):
        start, end = match.span()
        if any(f.start < end and start < f.end for f in findings):
            continue
        body = match.group()[:17]
        fixed = body + identifiers.resident_id_check_char(body)
        if fixed != match.group().upper() and identifiers.is_resident_id(fixed, today):
            extra.append(Finding("cn_resident_id", start, end, 0.5, TYPES["cn_resident_id"]))
    return sorted(findings + extra, key=lambda f: f.start) if extra else findings


def _keeps(*, subject, purpose: str, expected: frozenset[str]):
    """A test ``category -> kept?`` for this person and purpose."""
    rule = decisions.rules().purposes[purpose]
    answers: dict[str, bool] = {}

    def keep(category: str) -> bool:
        if category == ORGANISATION or category in expected:
            return True
        if category not in answers:
            if category not in rule.declared:
                answers[category] = False
            elif category not in rule.sensitive:
                answers[category] = True
            else:  # sensitive: the person's own separate consent, no other basis
                decision = decisions.decide(subject.pk, purpose, [category]) \
                    if subject is not None else None
                answers[category] = bool(decision and decision.allowed
                                         and decision.legal_basis == "consent.separate")
        return answers[category]

    return keep


@sensitive_variables("text", "kept")
def screen(text: str, *, actor, subject, purpose: str, field: str, source: str,
           expected=(), max_length: int | None = None) -> Screened:
    """Scan ``text`` and redact what ``purpose`` may not keep for ``subject`` (None: a person
    not known yet, who has given no consent). ``field`` and ``source`` name where the text was
    typed (e.g. ``leads_message``, ``leads.submit``). ``max_length``: the stored field's limit;
    a redaction marker is longer than a short value (an IP address), so the end is cut rather
    than the store refusing what the person was allowed to type. Call it inside the caller's
    transaction, before the write."""
    texts, found, redacted = _screen_texts(
        [text], actor=actor, subject=subject, purpose=purpose, field=field, source=source,
        expected=expected)
    kept = texts[0] if max_length is None or not found else texts[0][:max_length]
    return Screened(kept, found, redacted)


@sensitive_variables("texts", "kept")
def _screen_texts(texts: list[str], *, actor, subject, purpose: str, field: str, source: str,
                  expected=(), removed: int = 0) -> tuple[list[str], dict[str, int], list[str]]:
    """``screen`` for several texts of one thing typed or sent (an e-mail's headers and
    parts): each redacted on its own, one audit record for all of them. ``removed``: parts
    of an upload that were removed unread (``_screen_email``), recorded even when nothing
    was found."""
    per_text = [_mistyped_ids(text, scan(text)) if text else [] for text in texts]
    findings = [finding for found in per_text for finding in found]
    if not findings and not removed:
        return texts, {}, []
    keep = _keeps(subject=subject, purpose=purpose, expected=frozenset(expected))
    kept, dropped = [], []
    for text, found in zip(texts, per_text, strict=True):
        drop = [finding for finding in found if not keep(finding.category)]
        kept.append(redact(text, drop) if drop else text)
        dropped += drop
    found = dict(sorted(Counter(finding.type for finding in findings).items()))
    redacted = sorted({finding.category for finding in dropped})
    detail = {"field": field, "source": source, "found": found, "redacted": redacted}
    if removed:
        detail["parts_removed"] = removed
    audit.record(actor=actor, action=ACTION, subject=subject, purpose=purpose,
                 categories={finding.category for finding in findings}, detail=detail)
    return kept, found, redacted


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the codec that gives back the same bytes (latin-1 maps every byte)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


@sensitive_variables("data", "text", "result", "screened")
def screen_upload(upload, *, actor, subject, purpose: str, field: str, source: str):
    """The upload itself, or a copy with its text redacted when it is text (plain text, a
    saved e-mail; ``vault.files.content_type``). An e-mail is read as its parts
    (``_screen_email``: base64 and quoted-printable bodies decoded). Images and PDFs are not
    scanned: an image's text cannot be read without OCR, and a PDF's text is compressed
    inside it. The upload's name is never screened because it is never stored (sealed files
    are named after their row, ``vault.files.seal_upload``)."""
    from piwarden.vault import files

    if upload is None or upload.size > files.MAX_BYTES:
        return upload  # too large: the owning app refuses it (``files.check``)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = files.content_type(data)
    context = {"actor": actor, "subject": subject, "purpose": purpose, "field": field,
               "source": source}
    if kind == files.EML:
        screened = _screen_email(data, **context)
        return upload if screened is None else ContentFile(screened, name="screened")
    if kind != files.TEXT:
        return upload
    text, codec = _decode(data)
    result = screen(text, **context)
    if not result.redacted:
        return upload
    return ContentFile(result.text.encode(codec), name="screened")  # the name is never kept


# --- e-mails ----------------------------------------------------------------------------------

REMOVED_PART = ("[This part of the e-mail was removed when it was received: it could not be "
                "decoded to be screened for personal information.]")
_TRANSFER_DEFECTS = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect,
                     errors.InvalidBase64PaddingDefect, errors.StartBoundaryNotFoundDefect,
                     errors.CloseBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect)
_UNREADABLE = object()  # a part removed unread
_AS_SENT = object()  # an image or PDF attachment: kept as sent, not scanned
_EMAIL = object()  # an e-mail attached as a file (not as message/rfc822): read as an e-mail
# A MIME header, which is what can hide text in base64 or quoted-printable.
_MIME_HEADER = re.compile(rb"^(?:mime-version|content-type|content-transfer-encoding):",
                          re.IGNORECASE | re.MULTILINE)
_HEADERS_END = re.compile(rb"\r?\n\r?\n")  # the blank line after the headers


class _Text(NamedTuple):
    text: str  # a part's body, decoded
    charset: str  # the charset it was decoded with


class _Attached(NamedTuple):
    """An e-mail attached as a file, parsed: its own parts follow it in the list of parts."""

    message: email.message.EmailMessage
    parts: slice  # where its parts are in that list


def _part_body(part):
    """The decoded text of a part that holds one (``_Text``), ``_AS_SENT`` for an image or PDF,
    ``_EMAIL`` for an e-mail attached as a file (its base64 or quoted-printable parts would
    not be decoded if it were read as text), ``_UNREADABLE`` for what cannot be decoded for
    certain: a broken transfer encoding, text not valid in its charset (nor in UTF-8), any
    other attachment (a zip, an office file: refused as a file of their own too,
    ``vault.files.DOCUMENTS``)."""
    from piwarden.vault import files

    payload = part.get_payload(decode=True)  # notes the decoding's defects on the part
    if not isinstance(payload, bytes) or any(isinstance(defect, _TRANSFER_DEFECTS)
                                             for defect in part.defects):
        return _UNREADABLE
    if part.get_content_maintype() != "text":  # an attachment: what its bytes are
        kind = files.content_type(payload)
        if kind in files.SCANS:
            return _AS_SENT
        if kind == files.EML and _MIME_HEADER.search(_HEADERS_END.split(payload, 1)[0]):
            return _EMAIL  # a text file that looks like headers ("note: ...") stays text
        if kind not in (files.TEXT, files.EML):
            return _UNREADABLE
    for charset in (part.get_content_charset(), "utf-8"):
        try:
            text = payload.decode(charset) if charset else None
        except (LookupError, UnicodeDecodeError):
            continue
        if text is not None and "\x00" not in text:
            return _Text(text, charset)
    return _UNREADABLE


@sensitive_variables("data", "texts", "kept")
def _screen_email(data: bytes, **context) -> bytes | None:
    """An e-mail screened as what a reader sees: every header (decoded) of every part and
    every text part's decoded body, in one audit record. None when it may be stored as sent.
    An e-mail attached as a file rather than as ``message/rfc822`` (some mail programs send
    a forwarded message so) is read the same way, as an e-mail.

    When something is redacted or a part cannot be decoded, the message is written again
    (same structure, headers in their order, only what changed rewritten): a redacted part
    that was not transfer-encoded is redacted in place; an encoded one (base64,
    quoted-printable) carries the redacted text (``set_content``, UTF-8); a part that cannot
    be decoded is replaced by a short note (``REMOVED_PART``: stored nowhere, since it could
    not be read, rather than the whole file refused); images and PDFs stay as sent. Should
    the message not serialize again, what was read is stored as plain text instead: headers
    and text parts, redacted.
    """
    message = email.message_from_bytes(data, policy=_POLICY)
    parts, texts = [], []  # parts: (part, its header names, where its texts are, body)
    _read(message, parts, texts)
    removed = sum(body is _UNREADABLE for _part, _names, _where, body in parts)
    kept, _found, redacted = _screen_texts(texts, removed=removed, **context)
    if not redacted and not removed:
        return None
    try:
        # Last first: an attached e-mail is written again after the parts that follow it.
        changed = [body is _UNREADABLE or kept[where] != texts[where]
                   for _part, _names, where, body in parts]
        for index in reversed(range(len(parts))):
            part, names, where, body = parts[index]
            if isinstance(body, _Attached):
                if any(changed[body.parts]):
                    changed[index] = True
                else:
                    body = None  # its bytes stay as sent; its headers may change
            if changed[index]:
                _rewrite(part, names, texts[where], kept[where], body)
        if "Content-Type" in message and "MIME-Version" not in message:
            message["MIME-Version"] = "1.0"
        return message.as_bytes(policy=_POLICY.clone(
            linesep="\r\n" if b"\r\n" in data[:4096] else "\n"))
    except (ValueError, TypeError, LookupError, UnicodeError, errors.MessageError):
        lines = []
        for _part, names, where, body in parts:
            values = kept[where]
            lines += [f"{name}: {value}" for name, value in zip(names, values, strict=False)]
            lines += ["", *(text for text in values[len(names):] if text)]
            lines += [REMOVED_PART, ""] if body is _UNREADABLE else [""]
        return "\n".join(lines).encode()


def _read(message, parts: list, texts: list[str]) -> None:
    """Append each part of ``message`` to ``parts`` as (part, its header names, where its
    texts are in ``texts``, its body), and what a reader sees of it to ``texts``: its headers
    (decoded), a text part's decoded body, a multipart's preamble and epilogue. An e-mail
    attached as a file is read as an e-mail, its parts right after it."""
    for part in message.walk():
        names = [name for name, _value in part.items()]
        first = len(texts)
        texts += [str(value) for _name, value in part.items()]
        if part.is_multipart():
            body = None
            texts += [part.preamble or "", part.epilogue or ""]
        else:
            body = _part_body(part)
            if isinstance(body, _Text):
                texts.append(body.text)
        parts.append((part, names, slice(first, len(texts)), body))
        if body is _EMAIL:
            attached = email.message_from_bytes(part.get_payload(decode=True), policy=_POLICY)
            index = len(parts) - 1
            _read(attached, parts, texts)
            parts[index] = (*parts[index][:3], _Attached(attached, slice(index + 1, len(parts))))


def _rewrite(part, names: list[str], read: list[str], kept: list[str], body) -> None:
    """Give ``part`` its screened headers (``kept[:len(names)]``, in their order; ``read``:
    as they were) and body (what follows: a text part's text, a multipart's preamble and
    epilogue). Only what changed is written again."""
    values, rest = kept[:len(names)], kept[len(names):]
    new_body = (body is _UNREADABLE or isinstance(body, _Attached)
                or (isinstance(body, _Text) and rest[0] != body.text))
    if part.is_multipart():
        part.preamble, part.epilogue = rest[0] or part.preamble, rest[1] or part.epilogue
    elif isinstance(body, _Attached):  # an attached e-mail whose parts were written again
        part.set_content(body.message.as_bytes(policy=_POLICY),
                         maintype=part.get_content_maintype(),
                         subtype=part.get_content_subtype())
    elif new_body and body is not _UNREADABLE and part.get(
            "Content-Transfer-Encoding", "7bit").lower() in ("7bit", "8bit", "binary"):
        # not encoded: the redacted text in place, in its charset (as bytes, the way the
        # parser keeps them), the headers as they were
        part.set_payload(rest[0].encode(body.charset).decode("ascii", "surrogateescape"))
        new_body = False
    elif body is _UNREADABLE:
        part.set_content(REMOVED_PART, subtype="plain", charset="utf-8")
    elif new_body and part.get_content_maintype() == "text":
        part.set_content(rest[0], subtype=part.get_content_subtype(), charset="utf-8")
    elif new_body:  # a text file attached as application/octet-stream, base64
        part.set_content(rest[0].encode(body.charset), maintype=part.get_content_maintype(),
                         subtype=part.get_content_subtype())
    # the content headers ``set_content`` wrote for a new body
    fresh = {name.lower(): (name, str(value)) for name, value in part.items()
             if name.lower() in _CONTENT} if new_body else {}
    if not fresh and values == read[:len(names)]:
        return
    for name in set(part.keys()):
        del part[name]
    for name, value in zip(names, values, strict=True):
        part[name] = fresh.pop(name.lower())[1] if name.lower() in fresh else value
    for name, value in fresh.values():
        part[name] = value


_POLICY = email.policy.default
_CONTENT = ("content-type", "content-transfer-encoding")
