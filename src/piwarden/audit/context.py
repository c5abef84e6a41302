"""The id of the request being served, so audit records can name it without plumbing."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("piwarden_request_id", default="")
