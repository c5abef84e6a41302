"""`piwarden rights_deadlines`: e-mail staff about requests due soon and overdue (run daily;
the task worker also runs it on each request's reminder and due days)."""

from django.core.management.base import BaseCommand

from piwarden.audit.actors import Actor
from piwarden.rights import services


class Command(BaseCommand):
    help = "Remind staff of rights requests due within 2 business days; escalate overdue ones."

    def handle(self, *args, **options):
        result = services.send_deadline_notices(actor=Actor.system("rights_deadlines"))
        self.stdout.write(f"reminded {result['reminded']}, escalated {result['escalated']}")
