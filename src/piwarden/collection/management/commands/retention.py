"""`piwarden retention [--run] [--schedule]`: what is due for deletion per stored kind."""

from django.core.management.base import BaseCommand

from piwarden.audit.actors import Actor
from piwarden.collection import retention, tasks


class Command(BaseCommand):
    help = ("Show, per registered kind, its catalog retention, the cutoff and how many rows "
            "are past it; --run expires them now; --schedule queues the hourly task.")

    def add_arguments(self, parser):
        parser.add_argument("--run", action="store_true", help="expire what is due now")
        parser.add_argument("--schedule", action="store_true",
                            help="queue the recurring retention task unless one is waiting")
        parser.add_argument("--batch", type=int, default=retention.BATCH)

    def handle(self, *args, run, schedule, batch, **options):
        rows = retention.due()
        width = max([len(r.name) for r in rows] + [4])
        self.stdout.write(f"{'KIND':<{width}}  {'ACTIVITY':<28} {'RETENTION':<18} "
                          f"{'CUTOFF':<20} DUE")
        for r in rows:
            cutoff = r.cutoff.strftime("%Y-%m-%d %H:%M") if r.cutoff else "-"
            due = str(r.due) if r.due is not None else "not time-based"
            self.stdout.write(f"{r.name:<{width}}  {r.activity:<28} {r.retention:<18} "
                              f"{cutoff:<20} {due}")
        if run:
            expired = retention.run(actor=Actor.system("collection.retention"), batch=batch)
            for name, count in expired.items():
                self.stdout.write(f"expired {count} from {name}")
        if schedule:
            queued = tasks.ensure_scheduled()
            self.stdout.write("retention task queued" if queued
                              else "retention task already queued")
