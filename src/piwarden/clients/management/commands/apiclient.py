"""`piwarden apiclient create NAME --scope catalog:read` prints a new key once."""

from django.core.management.base import BaseCommand, CommandError

from piwarden.audit.actors import Actor
from piwarden.clients import services
from piwarden.clients.models import ApiClient, Scope


class Command(BaseCommand):
    help = "Create, list or revoke API clients."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("name")
        create.add_argument("--scope", action="append", required=True, choices=Scope.values)
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        actor = Actor.system("apiclient.command")
        if action == "create":
            if ApiClient.objects.filter(name=options["name"]).exists():
                raise CommandError(f"a client named {options['name']!r} exists already")
            client, key = services.create_client(
                actor=actor, name=options["name"], scopes=options["scope"]
            )
            self.stdout.write(f"{client.name}: {key}\n(store it now: it is not shown again)")
        elif action == "list":
            for client in ApiClient.objects.all():
                state = "active" if client.is_active else "revoked"
                self.stdout.write(f"{client.name}\t{client.key_prefix}\t{state}\t{client.scopes}")
        else:
            client = ApiClient.objects.filter(name=options["name"], is_active=True).first()
            if client is None:
                raise CommandError(f"no active client named {options['name']!r}")
            services.revoke_client(actor=actor, client=client)
            self.stdout.write(f"revoked {client.name}")
