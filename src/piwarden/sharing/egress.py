"""Egress control (Z-2): PI leaves only for a registered, active recipient, the person
themself, or our own staff. Every exit is checked here before a byte goes out.

- Server-to-server HTTP: ``Client``, the ``httpx.Client`` every job uses to send PI. Each
  request's host, and each redirect's, must be a declared host of an active recipient with an
  active flow (``selectors.recipient_for_host``). HTTPS is required, except for loopback
  addresses (local servers in tests and development). Redirects are followed by this code, not
  by httpx: only to such hosts, at most ``max_redirects`` times.
- E-mail: ``EmailBackend`` (``EMAIL_BACKEND``) checks every message, then hands it to the real
  backend named by ``PIWARDEN_EMAIL_DELIVERY_BACKEND``. The code that queues a message
  declares the audience (``outbox.services.enqueue_email(audience=...)``, sent by
  ``send_mail`` here): the person themself and staff pass (staff addresses are checked
  against active staff accounts); any other address must be at a host of a registered,
  active recipient.
- SMS: ``check_sms``, called by ``accounts.sms.send_sms`` (the outbox's SMS sender). Only
  the person themself receives one: a phone number names no host that a recipient could
  declare.
- Browser scripts of third parties: ``CSPMiddleware`` adds the registry's script origins to
  piwarden's CSP ``script-src``; ``api_egress`` gives the website the same list.

A refusal raises ``EgressRefused`` after writing an alert (``egress.refused``) and an audit
record (``sharing.egress_refused``, outcome denied) in a transaction of their own. For that
reason egress does not run inside a caller's transaction (``EgressError``): PI is sent after
the commit that decided to send it (conventions), so the refusal's records commit at once and
survive whatever the caller does next; a send inside a transaction would also hold the
database's write lock for the length of a network call.
"""

import functools
import ipaddress
import ssl
from email.utils import parseaddr
from enum import StrEnum

import httpx
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models.functions import Lower

from piwarden.alerts import services as alerts
from piwarden.alerts.models import Severity
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.errors import ServiceError
from piwarden.sharing import selectors

REASONS = {
    "unregistered": "not a host of a registered, active recipient",
    "insecure": "HTTPS is required",
    "no_host": "an SMS to anyone but the person themself",
}


class Audience(StrEnum):
    """Who a message is for, declared by the code that sends it (never by request input)."""

    PERSON = "person"  # the data subject themself, or the guardian address they named
    STAFF = "staff"  # the operator's staff; e-mail addresses are checked against staff accounts
    OTHER = "other"  # anyone else: must be a registered, active recipient


class EgressError(ServiceError):
    """Egress used where its refusals could not be kept (inside a transaction)."""


class EgressRefused(ServiceError):
    """The destination may not receive PI; nothing was sent, an alert is raised."""

    def __init__(self, channel: str, host: str, reason: str):
        super().__init__("EGRESS_REFUSED",
                         f"Refused to send by {channel} to {host or 'this address'}: "
                         f"{REASONS[reason]}.", status=403,
                         detail={"channel": channel, "host": host, "reason": reason})


def _outside_transaction() -> None:
    if audit.in_caller_transaction():
        raise EgressError("EGRESS_IN_TRANSACTION",
                          "PI is sent after the commit that decided to send it: call egress "
                          "from transaction.on_commit or a task, not inside an atomic block.",
                          status=500)


def _refuse(*, actor: Actor, channel: str, host: str, reason: str,
            detail: dict | None = None) -> EgressRefused:
    """Commit the alert and the denied audit record, and return the error to raise."""
    detail = {"channel": channel, "host": host, "reason": reason, **(detail or {})}
    with transaction.atomic():
        alert = alerts.raise_alert(
            kind="egress.refused", severity=Severity.HIGH, source=str(actor), actor=actor,
            summary=f"Egress refused: {channel} to {host or 'an address with no host'} "
                    f"({REASONS[reason]}).", detail=detail)
        audit.record(actor=actor, action="sharing.egress_refused", obj=alert,
                     outcome=Outcome.DENIED, detail=detail)
    return EgressRefused(channel, host, reason)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- server-to-server HTTP ------------------------------------------------------------------

def _check_url(url: httpx.URL, *, actor: Actor, detail: dict | None = None) -> None:
    """Return if an active recipient may receive PI at ``url``; else record the refusal."""
    if url.scheme != "https" and not (url.scheme == "http" and _is_loopback(url.host)):
        raise _refuse(actor=actor, channel="http", host=url.host, reason="insecure",
                      detail=detail)
    if selectors.recipient_for_host(url.host) is None:
        raise _refuse(actor=actor, channel="http", host=url.host, reason="unregistered",
                      detail=detail)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process: building it takes ~30 ms, which every client,
    and so every refusal, would pay again."""
    return httpx.create_ssl_context()


class Client(httpx.Client):
    """The outbound HTTP client for everything that carries PI out.

    Used like ``httpx.Client``: ``with egress.Client(actor=Actor.system("sharing.push")) as
    http: response = http.post(url, content=package)``. Each hop is checked before its
    connection opens. Successful sends are audited by the caller, which knows what left.
    """

    def __init__(self, *, actor: Actor, max_redirects: int = 3, follow_redirects: bool = True,
                 **kwargs):
        if "verify" not in kwargs and "cert" not in kwargs:
            kwargs["verify"] = _tls()
        super().__init__(max_redirects=max_redirects, follow_redirects=follow_redirects,
                         **kwargs)
        self.actor = actor

    def send(self, request: httpx.Request, *, stream: bool = False,
             auth=httpx.USE_CLIENT_DEFAULT, follow_redirects=httpx.USE_CLIENT_DEFAULT):
        _outside_transaction()
        follow = (self.follow_redirects if follow_redirects is httpx.USE_CLIENT_DEFAULT
                  else follow_redirects)
        for hop in range(self.max_redirects + 1):
            _check_url(request.url, actor=self.actor, detail={"hop": hop} if hop else None)
            # httpx never follows by itself; the first hop's credentials are not sent again
            # (httpx drops the Authorization header when a redirect leaves the origin).
            response = super().send(request, stream=stream, auth=auth if hop == 0 else None,
                                    follow_redirects=False)
            if not follow or response.next_request is None:
                return response
            response.close()
            request = response.next_request
        raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)


class DeliveryError(ServiceError):
    """The destination is allowed but the request failed; ``retryable`` for a transport
    failure (connection refused, timeout, reset), not for a redirect loop."""

    def __init__(self, error: httpx.HTTPError):
        super().__init__(type(error).__name__[:64], f"The request failed: "
                         f"{type(error).__name__}.", status=502)
        self.retryable = isinstance(error, httpx.TransportError)


def post(url: str, *, actor: Actor, timeout: float = 30, **kwargs) -> httpx.Response:
    """One POST through a ``Client``: the response, ``EgressRefused`` or ``DeliveryError``."""
    try:
        with Client(actor=actor, timeout=timeout) as http:
            return http.post(url, **kwargs)
    except httpx.HTTPError as error:
        raise DeliveryError(error) from error


# --- e-mail ---------------------------------------------------------------------------------

def send_mail(subject: str, message: str, recipient_list: list[str], *, audience: Audience,
              source: str, from_email: str | None = None, headers: dict | None = None,
              timeout: float | None = None) -> int:
    """``django.core.mail.send_mail`` with the audience declared by the calling code.

    The outbox's e-mail sender (``outbox.services``): code that wants an e-mail to leave
    queues it with ``outbox.services.enqueue_email``, which calls this after the commit with
    the message's ``Message-ID``. ``timeout`` bounds the SMTP connection.
    """
    options = {"timeout": timeout} if timeout is not None else {}
    connection = mail.get_connection(audience=audience, source=source, **options)
    email = mail.EmailMessage(subject, message, from_email, recipient_list,
                              connection=connection, headers=headers)
    return email.send()


def _staff(addresses: set[str]) -> set[str]:
    """Those of ``addresses`` (lower case) that belong to active staff accounts."""
    return set(get_user_model().objects.filter(is_active=True, is_staff=True)
               .annotate(address=Lower("email")).filter(address__in=addresses)
               .values_list("address", flat=True))


class EmailBackend(BaseEmailBackend):
    """``EMAIL_BACKEND``: checks each message's addresses, then delivers it through the backend
    named by ``PIWARDEN_EMAIL_DELIVERY_BACKEND`` (SMTP, console, locmem).

    The audience is an option of the connection (``get_connection(audience=...)``), which only
    code sets. A refused message raises ``EgressRefused`` even with ``fail_silently``: nothing
    of the batch is delivered.
    """

    def __init__(self, fail_silently: bool = False, *, audience: str = Audience.OTHER,
                 source: str = "egress.mail", **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.audience, self.source = Audience(audience), source
        delivery = settings.PIWARDEN_EMAIL_DELIVERY_BACKEND
        if delivery == f"{__name__}.{type(self).__name__}":
            raise ImproperlyConfigured("PIWARDEN_EMAIL_DELIVERY_BACKEND names the real backend "
                                       "(SMTP, console), not the egress backend itself.")
        self.delivery = mail.get_connection(delivery, fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.delivery.open()

    def close(self):
        self.delivery.close()

    def send_messages(self, email_messages) -> int:
        messages = list(email_messages)
        if not messages:
            return 0
        _outside_transaction()
        for message in messages:
            self._check(message)
        return self.delivery.send_messages(messages)

    def _check(self, message) -> None:
        addresses = {parseaddr(a)[1].lower() for a in message.recipients()}
        if self.audience == Audience.PERSON and len(addresses) == 1:
            return
        if self.audience == Audience.STAFF:
            addresses -= _staff(addresses)
        for address in sorted(addresses):
            domain = address.rpartition("@")[2]
            if selectors.recipient_for_host(domain) is None:
                raise _refuse(actor=Actor.system(self.source), channel="email", host=domain,
                              reason="unregistered")


# --- SMS ------------------------------------------------------------------------------------

def check_sms(*, audience: Audience, source: str) -> None:
    """Before an SMS goes to the gateway: only the person themself may receive one."""
    _outside_transaction()
    if audience != Audience.PERSON:
        raise _refuse(actor=Actor.system(source), channel="sms", host="", reason="no_host")


# --- third-party browser scripts ------------------------------------------------------------

class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; on HTML pages ``script-src`` also lists the script origins of
    active recipients, read per response so that a suspension takes effect at once."""

    def get_policy_parts(self, request, response, report_only: bool = False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and response.get("Content-Type", "").startswith("text/html"):
            origins = selectors.script_origins()
            if origins:
                update = dict(parts.update or {})
                update["script-src"] = [*update.get("script-src", ()), *origins]
                parts.update = update
        return parts
