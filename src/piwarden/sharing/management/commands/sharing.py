from django.core.management.base import BaseCommand

from piwarden.audit.actors import Actor
from piwarden.sharing import services
from piwarden.sharing.models import Flow


class Command(BaseCommand):
    help = ("piwarden sharing sync: make recipients and flows match the loaded catalog; "
            "piwarden sharing status: each flow, its status and what stops it.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "status"])

    def handle(self, *args, **options):
        if options["action"] == "sync":
            result = services.sync(actor=Actor.system("sharing.sync"))
            self.stdout.write(f"{result.counterparties} recipients and {result.flows} flows "
                              f"added, {result.assessments} assessments opened, "
                              f"{result.changed} flows changed")
            return
        for flow in Flow.objects.all():
            problems = "; ".join(services.flow_problems(flow)) if flow.status != "active" \
                else ""
            self.stdout.write(f"{flow.status:<20} {flow}" + (f"  ({problems})" if problems
                                                             else ""))
