"""Signals of the consent ledger, for apps that act on a choice without consent importing them."""

from django.dispatch import Signal

# Sent inside the ledger's transaction when a consent given for one recipient (PIPL Art. 23)
# is withdrawn or refused after a grant; kwargs ``event`` (the ConsentEvent) and ``actor``.
recipient_consent_ended = Signal()
