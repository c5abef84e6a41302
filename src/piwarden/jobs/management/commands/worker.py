"""`piwarden worker`: run background tasks from the jobs queue (docs/jobs.md)."""

import sys

from django.core.management.base import BaseCommand

from piwarden.caches import freshness
from piwarden.jobs.worker import Worker


class Command(BaseCommand):
    help = ("Run background tasks until SIGTERM or SIGINT (the running task finishes first); "
            "--batch runs what is due now and exits.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", "--once", action="store_true", dest="batch",
                            help="Run every job that is due now, then exit (cron, tests).")
        parser.add_argument("--queue", action="append", dest="queues", metavar="NAME",
                            help="Only this queue (repeatable; default: every queue).")

    def handle(self, *args, batch, queues, **options):
        if not batch:  # a long-lived worker hears of other processes' changes (docs/caches.md)
            freshness.start_watcher()
        code = Worker(queues=queues, batch=batch).run()
        if code:
            sys.exit(code)
