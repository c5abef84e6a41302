"""Background jobs of the audit app, each a thin call into a service."""

from django_tasks import task

from piwarden.audit import services
from piwarden.audit.models import ChainCheck


@task()
def run_chain_check(check_id: int) -> None:
    services.run_check(check=ChainCheck.objects.get(pk=check_id))
