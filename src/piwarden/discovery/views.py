"""The console's "Scan a text" page: staff paste a text and see where PI is in it.

The page never sends a found value back: the form comes back empty, and the text is shown
only with each finding masked. Like the API, it stores nothing and writes one audit record.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.clients.models import SCOPE_PERMISSIONS, Scope
from piwarden.discovery import redact, scanning
from piwarden.discovery.labels import type_name

# The permission behind the API's ``discovery:scan`` scope, held by the roles that handle
# discovery findings (roles/registry.py).
PERMISSION = SCOPE_PERMISSIONS[Scope.DISCOVERY_SCAN]


class BlankTextarea(forms.Textarea):
    """Renders empty whatever was sent, so a refused text is not echoed back either."""

    def format_value(self, value):
        return None


class ScanForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text to scan"), strip=False,
                           max_length=scanning.MAX_CHARS,
                           widget=BlankTextarea(attrs={"rows": 10}))


def can_scan(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def _rows(findings) -> list[dict]:
    return [{"type": type_name(found.type), "code": found.type,
             "category": labels.category(found.category), "start": found.start + 1,
             "end": found.end, "confidence": round(found.confidence * 100)}
            for found in findings]


@sensitive_post_parameters("text")
@sensitive_variables("text", "findings")
def scan(request):
    if not can_scan(request.user):
        raise PermissionDenied
    form = ScanForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        # Browsers send a textarea's line breaks as CRLF: count them as the person sees them.
        text = form.cleaned_data["text"].replace("\r\n", "\n")
        [findings] = scanning.scan_texts(actor=Actor.staff(request.user), texts=[text])
        result = {"rows": _rows(findings), "masked": redact(text, findings),
                  "length": len(text)}
        form = ScanForm()
    return TemplateResponse(request, "discovery/scan.html", {
        **admin.site.each_context(request), "title": _("Scan a text"), "form": form,
        "result": result, "max_chars": scanning.MAX_CHARS})
