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
from piwarden.subjectdata import access, services, source_labels
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


def _show_certificate(request, run, actor):
    if run.status == RunStatus.DONE:
        services.certificate_viewed(actor=actor, run=run)
    if request.GET.get("format") == "json" and run.status == RunStatus.DONE:
        return JsonResponse(run.certificate, json_dumps_params={"ensure_ascii": False})
    erased = source_labels.rows(run.certificate.get("erased", []))
    return render(request, "subjectdata/certificate.html", {
        "run": run, "cert": run.certificate,
        "erased": [row for row in erased if row.get("erased") or row.get("anonymized")],
        "checked_empty": [row for row in erased
                          if not (row.get("erased") or row.get("anonymized"))],
        "kept": source_labels.rows(run.certificate.get("kept", []))})


@never_cache
def certificate(request, run_id):
    run = _get(ErasureRun, run_id)
    if (response := _gate(request, run)) is not None:
        return response
    return _show_certificate(request, run, Actor.person(run.subject))


@never_cache
def certificate_link(request, token):
    """The certificate behind the link e-mailed after a full deletion or a cancellation: no
    login (there is no account any more), the token is the key. A wrong token is 404, an
    expired one 410, each a page that says so; neither shows any certificate."""
    run, expired = services.run_for_token(token)
    if run is None:
        return render(request, "subjectdata/certificate_link_invalid.html",
                      {"expired": expired}, status=410 if expired else 404)
    return _show_certificate(request, run, Actor.system("subjectdata.certificate_link"))
