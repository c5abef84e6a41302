"""One error type for every refusal in accounts; the API and the pages render it."""


class AccountError(Exception):
    """A refusal with a machine code (``PHONE_INVALID``) and an HTTP status for the API."""

    def __init__(self, code: str, message: str, *, status: int = 422, field: str = "",
                 detail: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
        self.field = field
        self.detail = detail
