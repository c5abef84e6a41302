"""A machine-readable API error raised by routers (services raise their ServiceError)."""

from piwarden.errors import ServiceError


class ApiError(ServiceError):
    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(code, message, status=status, detail=detail)
