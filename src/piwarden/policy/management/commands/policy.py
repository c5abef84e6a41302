"""`piwarden policy lint FILE [--format text|json]` (docs/policy-lint.md).

One command with a subcommand per action, so that later policy actions join as subparsers.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from piwarden.policy import lint


class Command(BaseCommand):
    help = "Work with privacy-policy texts: lint checks one against PIPL."
    # Linting a text file needs neither the database nor the project's system checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "lint", help="Report where a policy text conflicts with PIPL or lacks what it "
                         "requires; exit 1 on any conflict or missing item.")
        check.add_argument("file", help="The policy text (UTF-8), English or Chinese.")
        check.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **options):
        return {"lint": self._lint}[action](**options)

    def _lint(self, *, file, format, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}", returncode=2) from None
        findings = lint.lint(text)
        render = lint.to_json if format == "json" else lint.to_text
        self.stdout.write(render(findings, str(file)), ending="" if format == "text" else "\n")
        if lint.needs_fix(findings):
            count = sum(f.severity != lint.EDITORIAL for f in findings)
            raise CommandError(f"{count} finding(s) to fix before publishing")
