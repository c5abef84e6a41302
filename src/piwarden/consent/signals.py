"""Signals of the consent ledger, for apps that act on a choice without consent importing them."""

from django.dispatch import Signal

# Sent inside the ledger's transaction when a consent ends (withdrawn, or refused after a
# grant); kwargs ``event`` (the ConsentEvent; ``event.recipient`` names the recipient of a
# consent given for one, PIPL Art. 23) and ``actor``. Sharing forwards it to the recipients
# that received the person's data for that purpose.
consent_ended = Signal()
