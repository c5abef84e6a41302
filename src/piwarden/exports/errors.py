from piwarden.errors import ServiceError


class ExportError(ServiceError):
    """A file export refused (not approved, approver not allowed, unknown source...)."""
