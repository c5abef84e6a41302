"""`piwarden catalog load|check|export`: the data catalog file and the database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from piwarden.audit.actors import Actor
from piwarden.catalog import loader, services
from piwarden.catalog.export import NothingLoaded, export_yaml


class Command(BaseCommand):
    help = "Load, check or export the data catalog (privacy as code)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in [("load", "Validate FILE and load it into the database."),
                           ("check", "Validate FILE only; exit 1 listing every problem.")]:
            action = sub.add_parser(name, help=text)
            action.add_argument("file", nargs="?", help="Default: settings.PIWARDEN_CATALOG_FILE")
        export = sub.add_parser("export", help="Write the loaded catalog as YAML.")
        export.add_argument("-o", "--output", help="Write to this file instead of stdout.")

    def handle(self, *args, action, **options):
        if action == "export":
            return self._export(options["output"])
        path = Path(options["file"] or settings.PIWARDEN_CATALOG_FILE)
        try:
            if action == "check":
                catalog = loader.read(path)
                self.stdout.write(self.style.SUCCESS(
                    f"OK: {loader.display_name(path)} ({catalog.sha256[:12]})"))
                return
            release = services.load_catalog(actor=Actor.system("catalog.load"), path=path)
        except loader.CatalogError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(exc.problems)} problem(s) in the catalog file") from None
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in release.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded release {release.sha256[:12]}: {counts}"))

    def _export(self, output: str | None) -> None:
        try:
            text = export_yaml()
        except NothingLoaded as exc:
            raise CommandError(str(exc)) from None
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
