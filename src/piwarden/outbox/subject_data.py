"""The outbox in the subject-data registry: what is queued to or about one person.

An e-mail or SMS holds the person's address and its text, sealed, until it is sent or given
up; then both are wiped and the row keeps only its delivery state. An access request lists the
person's messages, with the address and text of those still waiting. An erasure does not stop
a waiting message (the confirmation of the erasure itself is one): it is kept until sent, then
wiped as every message is; every message of the person is unlinked from them, so what stays
names nobody.
"""

import datetime

from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.outbox import sealing
from piwarden.outbox.models import Channel, Message
from piwarden.subjects.registry import Erased, Kept, Source, iso

NAME = "outbox.messages"
CATEGORIES = ("user.contact.email", "user.contact.phone", "user.communication.content")
_ADDRESS = {Channel.EMAIL: "user.contact.email", Channel.SMS: "user.contact.phone"}
# A waiting message is sent or given up well within a day (8 attempts, at most an hour apart).
_SENT_WITHIN = datetime.timedelta(days=1)



def _row(message: Message) -> dict:
    row = {"id": str(message.id), "channel": message.channel, "kind": message.kind,
           "status": message.status, "queued_at": iso(message.created_at),
           "sent_at": iso(message.sent_at), "recipients": None, "subject_line": None,
           "text": None}
    if message.has_content:
        content = sealing.open_content(message)
        recipients = content.get("to")
        row.update(recipients=", ".join(recipients) if isinstance(recipients, list)
                   else recipients, subject_line=content.get("subject"),
                   text=content.get("body", content.get("text")))
    return row


def export(subject) -> dict[str, list[dict]]:
    return {"outbox_message": [_row(message) for message in
                               Message.objects.filter(subject=subject).order_by("created_at")]}


def erase(*, actor, subject, categories=None) -> Erased:
    """Unlink the person's messages; report those still waiting to be sent as kept."""
    result = Erased()
    if categories is not None and not set(categories) & set(CATEGORIES):
        return result
    messages = Message.objects.filter(subject=subject)
    waiting = list(messages.exclude(sealed=b"").values_list("channel", flat=True))
    unlinked = messages.update(subject=None)
    if unlinked:
        audit.record(actor=actor, action="outbox.unlinked", subject=subject,
                     detail={"messages": unlinked, "waiting": len(waiting)})
        result.anonymized += unlinked
    until = timezone.localdate() + _SENT_WITHIN
    for category in sorted({_ADDRESS[channel] for channel in waiting}):
        result.kept.append(Kept(
            category=category, legal_basis="contract", until=until,
            reason="A message to you still being sent (such as the confirmation of this "
                   "erasure); its address and text are deleted once it is sent."))
    return result


SOURCE = Source(name=NAME, models=(Message,), categories=CATEGORIES, export=export,
                erase=erase)
