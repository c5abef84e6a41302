"""Request ids (carried into audit records, returned as X-Request-ID) and request timing."""

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
