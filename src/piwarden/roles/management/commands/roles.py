from django.core.management.base import BaseCommand

from piwarden.audit.actors import Actor
from piwarden.roles import services


class Command(BaseCommand):
    help = "piwarden roles sync: make the staff role groups match the role registry."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync"])

    def handle(self, *args, **options):
        count = services.sync_groups(actor=Actor.system("roles.sync"))
        self.stdout.write(f"{count} roles synced")
