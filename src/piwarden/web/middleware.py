"""Request ids (carried into audit records, returned as X-Request-ID), request timing, body
size limits, and what every API answer promises (JSON errors, no-store)."""

import re
import time
import uuid

from piwarden import metrics
from piwarden.audit.context import client_ip_var, request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        ip_token = client_ip_var.set(request.META.get("REMOTE_ADDR", ""))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestMetricsMiddleware:
    """Times every request for Prometheus, labelled by its URL pattern (never the path itself,
    which may hold an id): ``piwarden_http_request_seconds``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = match.route if match is not None else "unmatched"
        metrics.REQUEST_SECONDS.labels(route=route).observe(time.perf_counter() - started)
        return response


class ApiResponseMiddleware:
    """What every API answer promises, whatever produced it: a JSON error body with a
    machine-readable code (Django's own 400, 405 or 500 pages are HTML), and ``no-store``,
    since an answer is about its caller (their account, or other people's PI for staff). An
    endpoint that sets its own ``Cache-Control`` keeps it."""

    CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
             405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
             429: "RATE_LIMITED"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and "\x00" in request.path:
            # The one input check covers the path too: a NUL would reach a query as an id.
            from django.http import JsonResponse

            response = JsonResponse({"error": {
                "code": "INVALID_CHARACTER",
                "message": "The request holds a character that is not allowed (NUL)."}},
                status=400)
        else:
            response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        if response.status_code >= 400 and \
                not response.get("Content-Type", "").startswith("application/json"):
            response = self._as_json(response)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request, exception):
        """Django refuses a form body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` while a view reads
        it: on the API that is a 413 with the JSON error, not an HTML 400."""
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig) and request.path.startswith("/api/"):
            from django.conf import settings

            return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None

    def _as_json(self, response):
        from django.http import JsonResponse

        status = response.status_code
        code = self.CODES.get(status, "SERVER_ERROR" if status >= 500 else "BAD_REQUEST")
        message = response.reason_phrase or "The request failed."
        converted = JsonResponse({"error": {"code": code, "message": message}}, status=status)
        if response.has_header("Allow"):
            converted["Allow"] = response["Allow"]
        return converted


class BodySizeMiddleware:
    """Refuse a request body larger than its endpoint needs before anything reads it (413):
    ``PIWARDEN_BODY_LIMITS`` maps path prefixes to bytes (the longest prefix wins), and every
    other path gets ``PIWARDEN_MAX_BODY_BYTES``. Uploads included: Django's own limit counts
    form fields only, never files."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.limits = sorted(settings.PIWARDEN_BODY_LIMITS.items(), key=lambda i: -len(i[0]))
        self.default = settings.PIWARDEN_MAX_BODY_BYTES

    def limit(self, path: str) -> int:
        return next((size for prefix, size in self.limits if path.startswith(prefix)),
                    self.default)

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.limit(request.path)
        if length > limit:
            return too_large(request, limit)
        return self.get_response(request)


def too_large(request, limit: int):
    from django.http import HttpResponse, JsonResponse

    message = f"The request body is larger than this endpoint accepts ({limit} bytes)."
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "TOO_LARGE", "message": message}}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
