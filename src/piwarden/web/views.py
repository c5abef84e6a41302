from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from piwarden.catalog import selectors as catalog


@ensure_csrf_cookie  # its location feature posts a consent from JavaScript
@require_GET
def home(request):
    """The site's privacy center: what a person can do here, in their language."""
    return render(request, "web/home.html")


@require_GET
def developers(request):
    """Links for the people who run and integrate piwarden (API docs, console, health) and the
    loaded catalog's figures; kept off the privacy center's home page."""
    return render(request, "web/developers.html", {"catalog": catalog.summary()})


@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability, for load balancers; public and PI-free."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def status(request):
    """Whether background work is being done: the worker's heartbeat and the age of the oldest
    due task. Public and PI-free, like /healthz, but never read by a load balancer: a dead
    worker must not take every web host out of rotation. 503 when a monitor should page."""
    from piwarden.jobs import selectors as jobs

    try:
        stats = jobs.queue_stats()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    beat = stats["last_beat_age_s"]
    worker_ok = stats["workers"] > 0
    queue_ok = stats["oldest_due_age_s"] <= settings.PIWARDEN_STATUS_MAX_TASK_AGE_SECONDS
    body = {
        "status": "ok" if worker_ok and queue_ok else "degraded",
        "worker": {"alive": worker_ok, "count": stats["workers"],
                   "last_beat_age_s": None if beat is None else round(beat, 1)},
        "tasks": {"ready_due": stats["ready_due"], "running": stats["running"],
                  "dead": stats["dead"], "oldest_due_age_s": round(stats["oldest_due_age_s"], 1)},
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus exposition, for a scraper holding an API key with ``metrics:read``."""
    from piwarden import metrics
    from piwarden.clients import services as clients
    from piwarden.clients.models import Scope

    header = request.headers.get("Authorization", "")
    client = clients.authenticate(header[7:]) if header.startswith("Bearer ") else None
    if client is None:
        return _api_error(401, "UNAUTHENTICATED", "Authentication is required.")
    if Scope.METRICS_READ not in client.scopes:
        return _api_error(403, "FORBIDDEN", f"This needs the '{Scope.METRICS_READ}' scope.")
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


def _api_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status_code)


def not_found(request, exception):
    """API callers get the API's JSON error shape; people get the usual page."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "NOT_FOUND", "message": "No such API endpoint."}}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)
