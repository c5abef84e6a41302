"""The consent API's two hot calls, answered in front of Django's request handling.

A site's back-end asks for decisions (``POST /api/v1/consent/decisions``) and forwards each
choice as it is made (``POST /api/v1/consent/subjects/{id}/events``), with an API key, many
times a second. Nothing Django's request machinery does for pages applies to these calls:
the middleware (sessions, CSRF, locale, messages, user authentication, a CSP built per
response), URL resolution across every app, ninja's parameter handling, the request and
response objects. Measured in one process, a warm decision cost 140 µs through all of it and
20 µs without. ``ConsentFastPath`` wraps the WSGI application (``piwarden.wsgi``) and answers
those two calls itself when the request carries a ``pwk_`` key: it checks the host against
``ALLOWED_HOSTS``, authenticates the key, checks the scope, validates the body with the
endpoints' own schemas, calls the same functions as the router
(``consent.api.answer_decisions``, ``consent.api.record_choice``) and renders the answer, or a
service's refusal, with the API's own renderer.

Everything else goes to Django untouched, decided before anything is done: other paths and
methods, staff sessions, keys that do not authenticate, a missing scope, a body that is not
JSON or does not validate, a question naming unknown keys, a host not allowed, an HTTPS
redirect that is due. Their answers (401, 403, 422 with ninja's details, 400) are the
router's own, so the contract, and its OpenAPI documentation at /api/v1/docs, stays the
router's; tests/consent/test_fastpath.py sends the same requests both ways.

What Django would have added is added here too: the headers of a JSON answer (X-Request-ID by
``RequestIdMiddleware``'s rule, with the id in the audit records; those that the security,
frame-options and CSP middleware give such an answer, asked of them once per process;
``Content-Language`` as ``LocaleMiddleware`` negotiates it), the database connections' upkeep
at the end of each answer, the request timing (``piwarden_http_request_seconds`` labelled
with the router's route), and Django's own answer to an unexpected error (500).

The request signals are not sent; their receivers' work that concerns these calls is done
directly. Django closes connections past their age or broken at the start and at the end of a
request (``close_old_connections``); here at the end of each answer only, which also flags
the kept connection for a health check before its next use, so a connection is at most one
request past its age. Their other receivers concern what these calls never use (the debug
query log, cache connections, a per-request URL configuration). A warm decision touches no
database at all, and the two signals cost a fifth of answering one. The health check
(``CONN_HEALTH_CHECKS``: a ``SELECT 1`` before a kept connection's first query in each
request, one round trip, a sixth of a write's cost) is left out for a connection that
recorded a choice less than a second ago: should the database go away in that second, that
one write fails (a 500) and the connection is closed at its end, as without health checks.
"""

import io
import json
import re
import time
import uuid
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import close_old_connections, connection
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from django.utils.translation import get_language_from_request
from pydantic import BaseModel, ValidationError, create_model

from piwarden import metrics
from piwarden.audit.context import request_id_var
from piwarden.clients import services as clients
from piwarden.clients.models import Scope
from piwarden.errors import ServiceError
from piwarden.web.middleware import _SAFE_ID as SAFE_REQUEST_ID

_PREFIX = "/api/v1/consent/"
_DECISIONS = "/api/v1/consent/decisions"
# Only the canonical spelling of an id: any other one the router accepts is passed on.
_EVENTS = re.compile(r"/api/v1/consent/subjects/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{4}-[0-9a-f]{12})/events")
# A NUL or a UTF-16 surrogate escape: left to the API's one input check (web/api_input.py).
_UNSAFE = re.compile(rb"\x00|\\u0000|\\u[dD][89a-fA-F]")
_BEARER = "Bearer pwk_"
_HEADER_MIDDLEWARE = ("SecurityMiddleware", "XFrameOptionsMiddleware", "CSPMiddleware")
_JSON = "application/json"
_RECENT = 1.0  # seconds: a connection that wrote this recently is not health-checked

# Per process, recomputed when settings change (tests): the headers Django's middleware gives
# a JSON answer (over HTTP and over HTTPS), the hosts found allowed or not, the language
# negotiated per Accept-Language header, the timings by route, the request schemas.
_headers: dict[bool, list[tuple[str, str]]] = {}
_hosts: dict[tuple, bool] = {}
_languages: dict[str, str] = {}
_timers: dict[str, object] = {}
_models: tuple[type[BaseModel], type[BaseModel]] | None = None


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    for cache in (_headers, _hosts, _languages):
        cache.clear()


class ConsentFastPath:
    """WSGI application: the hot calls answered here, everything else by ``application``."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or \
                not environ.get("PATH_INFO", "").startswith(_PREFIX) or \
                not environ.get("HTTP_AUTHORIZATION", "").startswith(_BEARER):
            return self.application(environ, start_response)
        started = time.perf_counter()
        answering = False
        try:
            call = _accept(environ)
            if call is None:
                return self.application(environ, start_response)
            answering = True
            return _respond(environ, start_response, started, *call)
        except Exception as exc:  # Django's answer to any error (logged; a 500 at worst)
            answering = True
            return _django_error(environ, start_response, exc)
        finally:
            if answering:
                close_old_connections()


def _accept(environ) -> tuple | None:
    """(kind, client, input) when this call is answered here; None to pass it on (with the
    body put back when it was read)."""
    path = environ["PATH_INFO"]
    if path == _DECISIONS:
        kind, scope, subject_id = "decisions", Scope.CONSENT_DECIDE, None
    elif (found := _EVENTS.fullmatch(path)) is not None:
        kind, scope, subject_id = "events", Scope.CONSENT_WRITE, uuid.UUID(found[1])
    else:
        return None
    if not _allowed_host(environ) or (settings.SECURE_SSL_REDIRECT and not _secure(environ)):
        return None  # Django refuses the host, or redirects to HTTPS
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None  # a chunked body: Django reads it
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length < 0 or (limit is not None and length > limit):
        return None
    body = environ["wsgi.input"].read(length) if length else b""
    client = clients.authenticate(environ["HTTP_AUTHORIZATION"][len("Bearer "):])
    if client is not None and scope in client.scopes and not _UNSAFE.search(body):
        try:
            if kind == "decisions":
                return kind, client, _schemas()[0].model_validate_json(body)
            return kind, client, (subject_id, _schemas()[1].model_validate_json(body))
        except (ValueError, ValidationError):  # not JSON (nor UTF-8), or not valid
            pass
    environ["wsgi.input"] = io.BytesIO(body)
    return None


def _respond(environ, start_response, started: float, kind: str, client, given) -> list:
    from piwarden.api import api, error_body
    from piwarden.audit.actors import Actor
    from piwarden.consent import api as consent

    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    try:
        if kind == "decisions":  # plain values: what the router's JsonResponse writes
            status, content_type = 200, _JSON
            body = json.dumps(consent.answer_decisions(given))
        else:
            status, content_type = 201, api.get_content_type()
            if _wrote_recently():
                connection.health_check_done = True
            event = consent.record_choice(Actor.api_client(client), *given)
            connection._piwarden_wrote_at = time.monotonic()
            body = api.renderer.render(None, consent.choice_result(event), response_status=201)
    except ServiceError as exc:
        status, content_type = exc.status, api.get_content_type()
        body = api.renderer.render(None, error_body(exc.code, exc.message, exc.api_detail()),
                                   response_status=exc.status)
    finally:
        request_id_var.reset(token)
    content = body.encode()
    start_response(f"{status} {HTTPStatus(status).phrase}", [
        ("Content-Type", content_type), *_static_headers(environ),
        ("Content-Language", _language(environ)), ("X-Request-ID", request_id),
        ("Content-Length", str(len(content)))])
    _timer(kind, environ["PATH_INFO"]).observe(time.perf_counter() - started)
    return [content]


def _wrote_recently() -> bool:
    """Whether this thread's kept connection recorded a choice less than a second ago."""
    wrote = getattr(connection, "_piwarden_wrote_at", None)
    return (wrote is not None and connection.connection is not None
            and not connection.errors_occurred and time.monotonic() - wrote < _RECENT)


def _django_error(environ, start_response, exc: Exception) -> list:
    """Django's answer to an exception raised while answering (as its handler gives it)."""
    environ["wsgi.input"] = io.BytesIO()
    response = response_for_exception(WSGIRequest(environ), exc)
    start_response(f"{response.status_code} {response.reason_phrase}", [
        *response.items(), *(("Set-Cookie", c.output(header="")) for c in
                             response.cookies.values())])
    return [response.content]


def _schemas() -> tuple[type[BaseModel], type[BaseModel]]:
    """The endpoints' request schemas, as plain pydantic models: ``ChoiceIn``'s fields and
    constraints without ninja's hook for reading ORM objects (ten times the cost here)."""
    global _models
    if _models is None:
        from piwarden.consent.schemas import ChoiceIn, DecisionBatch

        fields = {name: (field.annotation, field) for name, field in ChoiceIn.model_fields.items()}
        _models = DecisionBatch, create_model("ChoiceInput", __base__=BaseModel, **fields)
    return _models


def _secure(environ) -> bool:
    """``HttpRequest.is_secure()``."""
    header = settings.SECURE_PROXY_SSL_HEADER
    if header:
        name, value = header
        forwarded = environ.get(name)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == value
    return environ.get("wsgi.url_scheme") == "https"


def _allowed_host(environ) -> bool:
    """``HttpRequest.get_host()`` succeeds (``ALLOWED_HOSTS``), asked once per host."""
    key = (environ.get("HTTP_X_FORWARDED_HOST"), environ.get("HTTP_HOST"),
           environ.get("SERVER_NAME"), environ.get("SERVER_PORT"))
    allowed = _hosts.get(key)
    if allowed is None:
        try:
            WSGIRequest({**environ, "wsgi.input": io.BytesIO()}).get_host()
            allowed = True
        except DisallowedHost:
            allowed = False  # Django answers it (400), and logs it
        if len(_hosts) > 1000:
            _hosts.clear()
        _hosts[key] = allowed
    return allowed


def _static_headers(environ) -> list[tuple[str, str]]:
    """What the security, frame-options and CSP middleware give a JSON answer here (no nonce,
    no per-view policy), and LocaleMiddleware's Vary: asked of the middleware itself, once per
    process and scheme."""
    secure = _secure(environ)
    headers = _headers.get(secure)
    if headers is None:
        request = WSGIRequest({**environ, "wsgi.input": io.BytesIO()})
        response = HttpResponse(content_type=_JSON)
        for path in settings.MIDDLEWARE:
            if path.rsplit(".", 1)[-1] in _HEADER_MIDDLEWARE:
                middleware = import_string(path)(lambda request: response)
                middleware.process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        headers = _headers[secure] = [item for item in response.items()
                                      if item[0] not in ("Content-Type", "Content-Length")]
    return headers


def _language(environ) -> str:
    """The language LocaleMiddleware would activate (these routes have no language prefix)."""
    if settings.LANGUAGE_COOKIE_NAME in environ.get("HTTP_COOKIE", ""):
        return get_language_from_request(WSGIRequest({**environ, "wsgi.input": io.BytesIO()}))
    accepted = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    language = _languages.get(accepted)
    if language is None:
        if len(_languages) > 1000:
            _languages.clear()
        language = _languages[accepted] = get_language_from_request(
            WSGIRequest({**environ, "wsgi.input": io.BytesIO()}))
    return language


def _timer(kind: str, path: str):
    """The request timing of this call, labelled with the router's URL pattern."""
    timer = _timers.get(kind)
    if timer is None:
        from django.urls import resolve

        timer = _timers[kind] = metrics.REQUEST_SECONDS.labels(route=resolve(path).route)
    return timer

