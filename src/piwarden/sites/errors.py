"""The sites app's refusals."""

from piwarden.errors import ServiceError


class SitesError(ServiceError):
    """A refusal of the sites services (``END_DATE_TOO_EARLY``, ``HANDLER_REQUIRED``, …)."""


class Gone(SitesError):
    """A service that has ended: its collection entry points answer 410."""
