"""Staff console: the job queue and the live workers, read-only; "Retry" goes through the
service (audited)."""

from django.contrib import admin, messages

from piwarden.audit.actors import Actor
from piwarden.jobs import services
from piwarden.jobs.models import Job, WorkerBeat
from piwarden.readonly_admin import ReadOnlyAdmin


def _label(path: str) -> str:
    """``piwarden.collection.tasks.run_retention`` → ``collection: run_retention``."""
    parts = path.split(".")
    return f"{parts[1]}: {parts[-1]}" if len(parts) > 2 else path


class TaskFilter(admin.SimpleListFilter):
    title = "task"
    parameter_name = "task"

    def lookups(self, request, model_admin):
        paths = Job.objects.order_by("task_path").values_list("task_path", flat=True).distinct()
        return [(path, _label(path)) for path in paths]

    def queryset(self, request, queryset):
        return queryset.filter(task_path=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    # The task links to the job (its uuid is on the job's page and searchable): a uuid column
    # squeezed the table past the width of a laptop screen.
    list_display = ("task_name", "status", "attempts", "max_attempts", "run_after",
                    "started_at", "finished_at", "error_excerpt")
    list_display_links = ("task_name",)
    list_filter = ("status", TaskFilter, "queue_name")
    search_fields = ("=id", "=dedupe_key", "task_path")
    date_hierarchy = "enqueued_at"
    fields = ("id", "task_path", "args", "kwargs", "queue_name", "priority", "status",
              "attempts", "max_attempts", "run_after", "enqueued_at", "started_at",
              "finished_at", "lease_until", "worker_id", "dedupe_key", "return_value",
              "last_error")
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description="Task", ordering="task_path")
    def task_name(self, job):
        return job.task_name

    @admin.display(description="Last error")
    def error_excerpt(self, job):
        return job.error_class

    def has_retry_permission(self, request):
        return request.user.has_perm("jobs.change_job")

    @admin.action(description="Retry (dead or stuck jobs: attempts reset, run now)",
                  permissions=["retry"])
    def retry(self, request, queryset):
        actor, retried = Actor.staff(request.user), 0
        for job in queryset:
            try:
                services.retry(actor=actor, job=job)
                retried += 1
            except services.JobError as error:
                self.message_user(request, f"Job {job.pk}: {error.message}", messages.WARNING)
        self.message_user(request, f"{retried} job(s) queued again.", messages.SUCCESS)


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "beat_at", "current_job_id")
    fields = list_display
    readonly_fields = fields
