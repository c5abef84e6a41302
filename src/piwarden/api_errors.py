"""A machine-readable API error, raised by routers and rendered by piwarden.api."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
