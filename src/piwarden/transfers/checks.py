"""`piwarden check --deploy` refuses a deployment that keeps PI outside mainland China
without a transfer record (X-7.1, Z-6): an Error, so the command exits non-zero."""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from piwarden.transfers import residency

KINDS = {"system": "The system", "processor": "The processor",
         "activity": "The processing activity"}


@register(Tags.security, deploy=True)
def pi_stays_in_mainland_china(app_configs, **kwargs):
    """Reads the loaded catalog and the transfer records from the database."""
    try:
        found = residency.findings()
    except DatabaseError:
        return [Error("The catalog and transfer records could not be read, so PI residency "
                      "is unproven.", hint="Run 'piwarden migrate' and load the catalog first.",
                      id="piwarden.E101")]
    return [Error(f"{KINDS[f.kind]} '{f.key}' keeps personal information in {f.region}, "
                  f"outside mainland China: {f.why}.",
                  hint="Move it to a mainland region, or record the transfer (PIPL Art. 38-40) "
                       "with a mechanism in force under Cross-border transfers.",
                  obj=f.key, id="piwarden.E100") for f in found]
