"""`piwarden accounts_purge`: run daily (cron or the task worker's scheduler)."""

from django.core.management.base import BaseCommand

from piwarden.accounts import services
from piwarden.audit.actors import Actor


class Command(BaseCommand):
    help = ("Delete expired verification codes, old rate-limit events, closed guardian "
            "requests and accounts left unverified for more than 24 hours.")

    def handle(self, *args, **options):
        actor = Actor.system("accounts_purge")
        counts = services.purge_stale(actor=actor)
        counts["unverified_accounts"] = services.purge_unverified(actor=actor)
        self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
