"""Signals of the catalog, for apps whose run-time state follows it without catalog importing
them."""

from django.dispatch import Signal

# Sent inside the load's transaction, after the catalog rows are written; kwargs ``release``
# and ``actor``. The sharing registry makes its counterparties and flows match.
catalog_loaded = Signal()
