"""``piwarden sites check``: every site is bound to a handler and a published policy version,
and every live service to a handler (P-1, D-1.1); exits 1 otherwise, so CI fails."""

from django.core.management.base import BaseCommand, CommandError

from piwarden.sites import checks


class Command(BaseCommand):
    help = "Check the site registry (subcommand: check)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check"])

    def handle(self, *args, **options):
        problems, warnings = checks.run()
        for line in warnings:
            self.stdout.write(f"warning: {line}")
        if problems:
            for line in problems:
                self.stderr.write(f"error: {line}")
            raise CommandError(f"{len(problems)} problem(s) in the site registry.")
        self.stdout.write(self.style.SUCCESS("Every site has a handler and a policy binding."))
