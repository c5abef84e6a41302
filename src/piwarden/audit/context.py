"""The id and peer address of the request being served, so audit records and access checks
(staff reading PI from an overseas network) can use them without plumbing."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("piwarden_request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("piwarden_client_ip", default="")
