"""`piwarden demo`: a staff login, an API key and a few subjects to explore; idempotent."""

import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.clients.models import ApiClient, Scope
from piwarden.subjects import services as subjects
from piwarden.subjects.models import SubjectKind

DEMO_CLIENT = "demo-site"


class Command(BaseCommand):
    help = "Create demo data (once) and print the demo credentials."

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.txt"
        if not ApiClient.objects.filter(name=DEMO_CLIENT).exists():
            credentials = self._create()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(credentials, handle, indent=2)
        if path.exists():
            credentials = json.loads(path.read_text())
            self.stdout.write(
                "Demo staff login: {username} / {password}   API key ({scopes}): {api_key}".format(
                    **credentials
                )
            )

    @transaction.atomic
    def _create(self) -> dict:
        actor = Actor.system("demo")
        password = "(unchanged: the existing admin's)"  # noqa: S105 - a message, not a secret
        if not get_user_model().objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            get_user_model().objects.create_superuser("admin", password=password)
        scopes = [Scope.CATALOG_READ, Scope.AUDIT_READ]
        _, key = clients.create_client(actor=actor, name=DEMO_CLIENT, scopes=scopes)
        for kind in (SubjectKind.ACCOUNT_HOLDER, SubjectKind.LEAD, SubjectKind.VISITOR):
            subjects.create_subject(actor=actor, kind=kind)
        return {"username": "admin", "password": password, "api_key": key,
                "scopes": ",".join(scopes)}
