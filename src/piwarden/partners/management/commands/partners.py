"""`piwarden partners create RECIPIENT NAME`, `piwarden partners link CLIENT RECIPIENT`,
`piwarden partners list`: the console's partner actions, for scripts. ``link`` also links a
client to any recipient of the registry (one that confirms forwarded deletions)."""

from django.core.management.base import BaseCommand, CommandError

from piwarden.audit.actors import Actor
from piwarden.clients.models import ApiClient
from piwarden.partners import services
from piwarden.partners.models import Partner
from piwarden.sharing.models import Counterparty


class Command(BaseCommand):
    help = "Create partners (catalog recipients of role independent_handler) and link API clients."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("recipient")
        create.add_argument("name")
        link = sub.add_parser("link")
        link.add_argument("client", help="API client name")
        link.add_argument("recipient")
        sub.add_parser("list")

    def handle(self, *args, action, **options):
        actor = Actor.system("partners.command")
        if action == "create":
            try:
                partner = services.create_partner(actor=actor, recipient=options["recipient"],
                                                  name=options["name"])
            except services.PartnerError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"created partner {partner.name} ({partner.recipient})")
        elif action == "link":
            client = ApiClient.objects.filter(name=options["client"], is_active=True).first()
            counterparty = Counterparty.objects.filter(recipient=options["recipient"]).first()
            if client is None or counterparty is None:
                raise CommandError("no such active API client, partner or recipient")
            link = services.link_client(actor=actor, client=client, counterparty=counterparty)
            self.stdout.write(f"linked {client.name} to {link.partner or counterparty}")
        else:
            for partner in Partner.objects.prefetch_related("clients__client"):
                clients = ", ".join(link.client.name for link in partner.clients.all())
                state = "active" if partner.is_active else "inactive"
                self.stdout.write(f"{partner.recipient}\t{partner.name}\t{state}\t{clients}")
