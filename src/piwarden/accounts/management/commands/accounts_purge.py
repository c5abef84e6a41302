"""`piwarden accounts_purge`: run daily (cron or the task worker's scheduler)."""

from django.core.management.base import BaseCommand

from piwarden.accounts import services
from piwarden.audit.actors import Actor


class Command(BaseCommand):
    help = "Delete expired verification codes, old rate-limit events and closed guardian requests."

    def handle(self, *args, **options):
        counts = services.purge_stale(actor=Actor.system("accounts_purge"))
        self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
