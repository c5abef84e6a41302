"""`piwarden rights_calendar load FILE`: load the official holiday schedule.

FILE has one line per day, ``YYYY-MM-DD workday|holiday [note]`` (``#`` starts a comment);
``show YEAR`` prints how the deadline module sees each non-ordinary day of the year.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from piwarden.audit.actors import Actor
from piwarden.rights import deadlines, services


class Command(BaseCommand):
    help = "Load the official PRC holiday schedule, or show a year's special days."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file")
        show = sub.add_parser("show")
        show.add_argument("year", type=int)

    def handle(self, *args, action, **options):
        if action == "load":
            days, note = self._read(options["file"]), f"loaded from {options['file']}"[:100]
            count = services.set_official_days(actor=Actor.system("rights_calendar"), days=days,
                                               note=note)
            self.stdout.write(f"{count} days loaded")
            return
        day = datetime.date(options["year"], 1, 1)
        while day.year == options["year"]:
            workday, fallback = deadlines.is_workday(day)
            if workday != (day.weekday() < 5):
                flag = " (statutory fallback)" if fallback else ""
                self.stdout.write(f"{day} {'workday' if workday else 'holiday'}{flag}")
            day += datetime.timedelta(days=1)

    def _read(self, path) -> dict:
        days = {}
        try:
            lines = open(path, encoding="utf-8").read().splitlines()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            try:
                day = datetime.date.fromisoformat(parts[0])
                kind = parts[1]
            except (ValueError, IndexError):
                raise CommandError(
                    f"line {number}: expected 'YYYY-MM-DD workday|holiday'") from None
            if kind not in ("workday", "holiday"):
                raise CommandError(f"line {number}: expected 'workday' or 'holiday'")
            days[day] = kind == "workday"
        return days
