from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from piwarden.catalog import selectors as catalog
from piwarden.subjects.models import Subject


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
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
