"""Tasks still waiting in django-tasks-db's table (a database that ran it before, ADR 0006) are
queued again as jobs, so that nothing already scheduled (a cancellation at the end of its
cooling-off period, a withdrawal's erasure) is lost in the switch. The old table is left as it
is; dropping it is the operator's choice."""

import datetime
import json

from django.db import migrations
from django.utils import dateparse, timezone

OLD_TABLE = "django_tasks_database_dbtaskresult"
NO_RUN_AFTER_YEAR = 9999  # django-tasks-db's "no run_after"


def _when(value):
    if isinstance(value, str):
        value = dateparse.parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    Job = apps.get_model("jobs", "Job")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT task_path, args_kwargs, priority, queue_name, run_after, "  # noqa: S608
                       f"enqueued_at FROM {OLD_TABLE} WHERE status = 'READY'")
        rows = cursor.fetchall()
    now = timezone.now()
    jobs = []
    for task_path, args_kwargs, priority, queue_name, run_after, enqueued_at in rows:
        if isinstance(args_kwargs, str):
            args_kwargs = json.loads(args_kwargs)
        run_after = _when(run_after)
        if run_after is None or run_after.year >= NO_RUN_AFTER_YEAR:
            run_after = now
        jobs.append(Job(task_path=task_path, args=args_kwargs.get("args", []),
                        kwargs=args_kwargs.get("kwargs", {}), priority=priority,
                        queue_name=queue_name, run_after=run_after,
                        enqueued_at=_when(enqueued_at) or now))
    Job.objects.bulk_create(jobs)


class Migration(migrations.Migration):

    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
