"""Background jobs of the export and erasure engine, each a thin call into a service."""

from django_tasks import task

from piwarden.audit.actors import Actor
from piwarden.subjectdata import services


@task()
def build_export_task(archive_id: str) -> str:
    return services.build_export(archive_id=archive_id).status


@task()
def run_erasure_task(run_id: str) -> str:
    return services.run_erasure(run_id=run_id).status


@task()
def expire_exports_task() -> int:
    return services.expire_exports(actor=Actor.system("subjectdata.expire"))
