"""The operator dashboard: the console's first page for staff who hold a role.

It shows counts, due dates, the audit chain's state and ids, never a person's PI (a row about a
person names them by the short form of their subject id), so it asks for no purpose and writes
no audit record. A few aggregate queries build it (``selectors``), whatever the volume.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from piwarden.alerts.models import Severity as AlertSeverity
from piwarden.catalog import labels
from piwarden.dashboard import charts, selectors
from piwarden.incidents.models import Severity as IncidentSeverity
from piwarden.rights.admin import staff_status
from piwarden.rights.models import RequestType
from piwarden.roles.registry import ROLES
from piwarden.roles.selectors import held_roles

# The alerts app's severity labels are not marked for translation: the dashboard's own words.
ALERT_SEVERITY = {
    AlertSeverity.CRITICAL: pgettext_lazy("alert severity", "Critical"),
    AlertSeverity.HIGH: pgettext_lazy("alert severity", "High"),
    AlertSeverity.MEDIUM: pgettext_lazy("alert severity", "Medium"),
    AlertSeverity.LOW: pgettext_lazy("alert severity", "Low"),
}


def can_see(user) -> bool:
    """Staff who hold a role (a superuser holds every role)."""
    return bool(user.is_active and user.is_staff and held_roles(user))


def handles_requests(user) -> bool:
    """A role whose purposes include handling rights requests (support, privacy officer)."""
    return any("rights.requests" in ROLES[key].purposes for key in held_roles(user))


def _rights(summary: selectors.RightsSummary) -> list[dict]:
    return [{"row": row,
             "type": RequestType(row.type).label if row.type in RequestType.values else row.type,
             "status": staff_status(row.status),
             "url": reverse("admin:rights_rightsrequest_change", args=[row.id])}
            for row in summary.rows]


def _charts(rates: selectors.ConsentRates) -> list[dict]:
    week_labels = [f"{start.month}/{start.day}" for start in rates.weeks]
    grant, withdraw = _("Granted"), _("Withdrawn")
    out = []
    for series in rates.series:
        out.append({
            "purpose": series.purpose,
            "label": labels.purpose(series.purpose),
            "svg": charts.grouped_bars(labels=week_labels, first=series.grants,
                                       second=series.withdrawals, first_name=grant,
                                       second_name=withdraw),
            "rows": [{"week": labels.china_date(start), "grants": g, "withdrawals": w}
                     for start, g, w in zip(rates.weeks, series.grants, series.withdrawals,
                                            strict=True)],
            "grants": sum(series.grants),
            "withdrawals": sum(series.withdrawals),
        })
    return out


def _severities(counts: dict[str, int], choices) -> list[dict]:
    return [{"key": key, "label": label, "count": counts.get(key, 0)}
            for key, label in choices]


def dashboard(request):
    if not can_see(request.user):
        raise PermissionDenied
    rights = selectors.rights_by_due()
    listed = handles_requests(request.user)
    incidents = selectors.open_incidents()
    alerts = selectors.open_alerts()
    context = {
        **admin.site.each_context(request),
        "title": _("Operator dashboard"),
        "rights": rights,
        # Which person has which request open is for those who handle requests; every
        # role sees the counts.
        "rights_listed": listed,
        "rights_rows": _rights(rights) if listed else [],
        "rates": _charts(selectors.consent_rates()),
        "weeks": selectors.WEEKS,
        "erasures": selectors.erasures_in_progress(),
        "exports": selectors.exports_in_progress(),
        "chain": selectors.chain_status(),
        "incidents": _severities(incidents, IncidentSeverity.choices),
        "incidents_open": sum(incidents.values()),
        "alerts": _severities(alerts, list(ALERT_SEVERITY.items())),  # gravest first
        "alerts_open": sum(alerts.values()),
        "grant_colour": charts.GRANT_COLOUR,
        "withdraw_colour": charts.WITHDRAW_COLOUR,
    }
    return TemplateResponse(request, "dashboard/dashboard.html", context)
