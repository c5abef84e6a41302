"""One error type for every refusal in accounts; the API and the pages render it."""

from piwarden.errors import ServiceError


class AccountError(ServiceError):
    """A refusal with a machine code (``PHONE_INVALID``) and an HTTP status for the API."""
