"""`piwarden audit verify` and `piwarden audit head`."""

from django.core.management.base import BaseCommand, CommandError

from piwarden.audit import services
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainCheck


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, or print its head for external anchoring."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check every record; name the first bad one.")
        verify.add_argument(
            "--anchor",
            metavar="SEQ:HASH",
            help="Also check that record SEQ still has HASH (a head noted earlier elsewhere).",
        )
        sub.add_parser("head", help="Print the last record's number and hash.")

    def handle(self, *args, action, **options):
        if action == "head":  # only a verified head is worth anchoring
            result = services.verify()
            if not result.ok:
                raise CommandError(str(result))
            self.stdout.write(f"{result.head_seq}:{result.head_hash}")
            return
        check = ChainCheck.objects.create(requested_by=str(Actor.system("audit.verify")))
        result = services.run_check(check=check)
        if not result.ok:
            raise CommandError(str(result))
        if options["anchor"]:
            self._check_anchor(options["anchor"])
        self.stdout.write(self.style.SUCCESS(str(result)))

    def _check_anchor(self, anchor: str) -> None:
        seq, _, expected = anchor.partition(":")
        if not seq.isdigit() or len(expected) != 64:
            raise CommandError("--anchor must look like SEQ:HASH (HASH is 64 hex characters)")
        event = AuditEvent.objects.filter(seq=int(seq)).first()
        if event is None or event.hash != expected:
            raise CommandError(
                f"BROKEN at record #{seq}: it no longer matches the anchor you noted "
                "(the trail was rewritten from there on)"
            )
