"""The one kind of refusal every service raises, and the API renders the same way."""


class ServiceError(Exception):
    """A refusal: a machine-readable ``code``, a ``message`` for people, the HTTP ``status``
    the API answers with, and optional ``detail`` (``field`` names the form field at fault).

    Each app subclasses it (AccountError, RightsError, …) so callers can catch their own;
    ``piwarden.api`` renders any of them as ``{"error": {"code", "message", "detail"}}``, so
    routers call services without converting their errors.
    """

    def __init__(self, code: str, message: str, *, status: int = 422, field: str = "",
                 detail: dict | list | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, str(message), status
        self.field, self.detail = field, detail

    def api_detail(self) -> dict | list | None:
        if not self.field:
            return self.detail
        return {**(self.detail or {}), "field": self.field}
