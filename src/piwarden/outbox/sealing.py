"""Sealing an e-mail's or SMS's recipients and text while it waits in the outbox.

The vault's envelope encryption, with the message standing where a subject stands: a fresh
data key per message (``envelope.wrap_new_key``), wrapped by the current master key and
bound to the message's id; the content sealed with AES-256-GCM under that key, its associated
data naming the message and the field (``vault.crypto.value_aad``). A ciphertext or wrapped key
copied to another row does not open.

Why not the person's own data key: the message must still go out after the person's key is
destroyed (the confirmation of an erasure is sent after it), and staff mail concerns no data
subject. Wiping the row (``sealed`` and ``wrapped_key`` emptied) destroys the message's key
with its text.
"""

import json
import uuid

from django.views.decorators.debug import sensitive_variables

from piwarden.vault import crypto, envelope

FIELD = "outbox.content"
DATA_KEY_VERSION = 1  # one data key per message, never rotated: it lives until the wipe


@sensitive_variables("content", "plaintext")
def seal(message_id: uuid.UUID, content: dict) -> dict:
    """The columns ``sealed``, ``wrapped_key`` and ``key_version`` for ``content``."""
    version, wrapped, aead = envelope.wrap_new_key(message_id)
    plaintext = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return {"sealed": crypto.seal(aead, plaintext,
                                  crypto.value_aad(message_id, FIELD, DATA_KEY_VERSION)),
            "wrapped_key": wrapped, "key_version": version}


def open_content(message) -> dict:
    """The content of a message that still has it (vault errors when it does not open)."""
    aead = envelope.cipher(message.id, message.key_version, bytes(message.wrapped_key))
    return json.loads(envelope.open_with(aead, subject_id=message.id, field=FIELD,
                                         ciphertext=bytes(message.sealed),
                                         key_version=DATA_KEY_VERSION))


WIPED = {"sealed": b"", "wrapped_key": b"", "key_version": None}
