"""``piwarden subjectdata expire | export SUBJECT | erase RUN``: housekeeping and reruns."""

from django.core.management.base import BaseCommand, CommandError

from piwarden.audit.actors import Actor
from piwarden.subjectdata import services
from piwarden.subjectdata.models import ErasureRun, ExportArchive


class Command(BaseCommand):
    help = "Delete expired export files, or (re)run an export build or an erasure run."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("expire", help="delete the files of expired exports (run daily)")
        build = sub.add_parser("build", help="build a pending export archive now")
        build.add_argument("archive_id")
        erase = sub.add_parser("erase", help="run or resume an erasure run now")
        erase.add_argument("run_id")

    def handle(self, *args, action, **options):
        if action == "expire":
            count = services.expire_exports(actor=Actor.system("subjectdata.expire"))
            self.stdout.write(f"{count} expired export(s) deleted")
        elif action == "build":
            if not ExportArchive.objects.filter(pk=options["archive_id"]).exists():
                raise CommandError("no such archive")
            archive = services.build_export(archive_id=options["archive_id"])
            self.stdout.write(f"export {archive.pk}: {archive.status}")
        else:
            if not ErasureRun.objects.filter(pk=options["run_id"]).exists():
                raise CommandError("no such run")
            run = services.run_erasure(run_id=options["run_id"])
            self.stdout.write(f"erasure {run.pk}: {run.status}")
