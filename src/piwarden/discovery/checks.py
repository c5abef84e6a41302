"""`piwarden check --deploy` refuses a deployment while PI sits where nobody declared it
(issue 18, Z-8): an Error while an open finding counts for the gate (``selectors``: per source,
the latest full report and the thinner ones after it), so the command exits non-zero. A
database no discovery ever ran on is only a Warning, so a fresh installation can deploy; it is
told to run ``piwarden discover``. So is a source whose latest full report is older than
``PIWARDEN_DISCOVERY_MAX_AGE_DAYS`` (default 30), or that no full run ever read."""

from datetime import timedelta

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone

SHOWN = 10
MAX_AGE_DAYS = 30


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "PIWARDEN_DISCOVERY_MAX_AGE_DAYS", MAX_AGE_DAYS))


@register(Tags.security, deploy=True)
def no_open_discovery_findings(app_configs, **kwargs):
    """Reads the latest reports from the database."""
    from piwarden.discovery import selectors
    from piwarden.discovery.models import DEFAULT_SAMPLE, Source

    try:
        full, read = selectors.gate_reports()
        if not read:
            return [Warning("PI discovery has never run, so no one has looked for PI where "
                            "nobody declared it.", hint="Run 'piwarden discover'.",
                            id="piwarden.W180")]
        found = list(selectors.open_findings().order_by("kind", "location", "type"))
    except DatabaseError:
        return [Error("The discovery reports could not be read.",
                      hint="Run 'piwarden migrate' first.", id="piwarden.E181")]
    messages = []
    oldest = timezone.now() - max_age()
    for source in Source.values:
        report = full.get(source)
        if report is None:
            messages.append(Warning(
                f"No full discovery run has read the source '{source}' (a database run "
                f"reads at least {DEFAULT_SAMPLE} rows per table).",
                hint=f"Run 'piwarden discover --only {source}' without a smaller --sample.",
                id="piwarden.W181"))
        elif report.started_at < oldest:
            messages.append(Warning(
                f"The latest full discovery run of the source '{source}' (report "
                f"#{report.pk}) is more than {max_age().days} days old.",
                hint="Run 'piwarden discover' (PIWARDEN_DISCOVERY_MAX_AGE_DAYS sets the "
                     "age).", id="piwarden.W181"))
    messages += [Error(f"PI found where nobody declared it: {f.location} holds {f.count} "
                       f"value(s) of type {f.type} ({f.category}); finding #{f.pk} is open.",
                       hint="Move or remove the data, declare the column, or mark the "
                            "finding fixed or a false positive under PII discovery in the "
                            "console.", obj=f"discovery.finding:{f.pk}", id="piwarden.E180")
                 for f in found[:SHOWN]]
    if len(found) > SHOWN:
        messages.append(Error(f"{len(found) - SHOWN} more open discovery findings.",
                              hint="See PII discovery in the console.", id="piwarden.E180"))
    return messages
