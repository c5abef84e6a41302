"""The person's pages: download an export, read a deletion certificate.

Both answer 404 for another person's object, and send an account holder through the accounts
step-up page first (a fresh identity check), or to the login page when nobody is known.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from piwarden.audit.actors import Actor
from piwarden.subjectdata import access, services
from piwarden.subjectdata.models import ArchiveStatus, ErasureRun, ExportArchive, RunStatus


def _gate(request, obj):
    """None when the request may see ``obj``; else the response to give instead."""
    if access.may_download(request, obj):
        return None
    subject_id = access.account_subject_id(request)
    if subject_id is None:
        return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
    if subject_id != obj.subject_id:
        raise Http404
    return redirect(f"{reverse('accounts:reauth')}?next={request.get_full_path()}")


def _get(model, pk):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@never_cache
def export(request, archive_id):
    archive = _get(ExportArchive, archive_id)
    if (response := _gate(request, archive)) is not None:
        return response
    expired = archive.status == ArchiveStatus.EXPIRED or (
        archive.status == ArchiveStatus.READY and archive.expires_at <= timezone.now())
    if expired or archive.status != ArchiveStatus.READY:
        status = 410 if expired or archive.status == ArchiveStatus.FAILED else 200
        return render(request, "subjectdata/export.html",
                      {"archive": archive, "expired": expired}, status=status)
    try:
        content = services.open_archive(actor=Actor.person(archive.subject), archive=archive)
    except services.SubjectDataError:  # expired between the check above and the lock
        return render(request, "subjectdata/export.html", {"archive": archive, "expired": True},
                      status=410)
    response = HttpResponse(content, content_type="application/zip")
    stamp = archive.created_at.strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
def certificate(request, run_id):
    run = _get(ErasureRun, run_id)
    if (response := _gate(request, run)) is not None:
        return response
    if run.status == RunStatus.DONE:
        services.certificate_viewed(actor=Actor.person(run.subject), run=run)
    if request.GET.get("format") == "json" and run.status == RunStatus.DONE:
        return JsonResponse(run.certificate, json_dumps_params={"ensure_ascii": False})
    return render(request, "subjectdata/certificate.html",
                  {"run": run, "cert": run.certificate})
