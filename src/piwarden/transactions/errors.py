from piwarden.errors import ServiceError


class TransactionError(ServiceError):
    def __init__(self, code: str, message: str, *, status: int = 422, detail=None):
        super().__init__(code, message, status=status, detail=detail)
