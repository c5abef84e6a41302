"""``piwarden columns check``: the column -> category map and the collection linter, for CI."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from piwarden.catalog import columns, linter


class Command(BaseCommand):
    help = "Check that every PI column, form field and API input maps to a catalog category."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check"])

    def handle(self, *args, **options):
        project = [m for m in apps.get_models() if m.__module__.startswith("piwarden.")]
        problems = [f"undeclared column: {c}" for c in columns.undeclared(project)]
        problems += [f"declared column that does not exist: {c}"
                     for c in columns.stale(project)]
        problems += [f"category not in the catalog: {c}" for c in columns.unknown_categories()]
        problems += [f"uncatalogued input: {p}" for p in linter.lint()]
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s)")
        self.stdout.write("Every column and input maps to the catalog.")
