from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from piwarden.catalog import selectors as catalog
from piwarden.subjects.models import Subject


@ensure_csrf_cookie  # its location demo posts a consent from JavaScript
@require_GET
def home(request):
    """The demo home page: what exists and where to find it."""
    return render(
        request,
        "web/home.html",
        {"catalog": catalog.summary(), "subject_count": Subject.objects.count()},
    )


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


def not_found(request, exception):
    """API callers get the API's JSON error shape; people get the usual page."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "NOT_FOUND", "message": "No such API endpoint."}}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)
