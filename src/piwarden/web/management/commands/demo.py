"""`piwarden demo`: a staff login, an API key, a person's account and a few subjects; idempotent."""

import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from piwarden.accounts import services as accounts
from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.clients.models import ApiClient, Scope
from piwarden.subjects import services as subjects
from piwarden.subjects.models import SubjectKind

DEMO_CLIENT = "demo-site"
# Example values for the demo person: an example.com address and a well-known sample number.
DEMO_PHONE, DEMO_EMAIL = "+8613800138000", "demo.person@example.com"


class Command(BaseCommand):
    help = "Create demo data (once) and print the demo credentials."

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.txt"
        if not ApiClient.objects.filter(name=DEMO_CLIENT).exists():
            credentials = self._create()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(credentials, handle, indent=2)
        self._sharing()
        from piwarden.policy import demo as policy_demo  # the policy pages need a version
        policy_demo.set_up()
        if path.exists():
            credentials = json.loads(path.read_text())
            self.stdout.write(
                "Demo staff login: {username} / {password}   API key ({scopes}): {api_key}\n"
                "Demo person (privacy center at /account/login/): {person_login} / "
                "{person_password}".format(**credentials)
            )

    def _sharing(self) -> None:
        """Example recipients named and active, a provision to show the demo person (a
        provision runs outside any transaction, like a request or a task), and a story that
        waits for the demo person's consent."""
        from piwarden.sharing import demo
        from piwarden.subjects.models import Subject
        from piwarden.vault import services as vault

        person = Subject.objects.filter(pk__in=vault.find_subject_ids("email", DEMO_EMAIL),
                                        kind=SubjectKind.ACCOUNT_HOLDER).first()
        demo.set_up(actor=Actor.system("demo"), person=person)
        from piwarden.publication import demo as publication_demo

        publication_demo.set_up(actor=Actor.system("demo"), person=person)

    @transaction.atomic
    def _create(self) -> dict:
        actor = Actor.system("demo")
        password = "(unchanged: the existing admin's)"  # noqa: S105 - a message, not a secret
        if not get_user_model().objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            get_user_model().objects.create_superuser("admin", password=password)
        scopes = [Scope.CATALOG_READ, Scope.AUDIT_READ, Scope.CONSENT_DECIDE,
                  Scope.CONSENT_READ, Scope.CONSENT_WRITE]
        _, key = clients.create_client(actor=actor, name=DEMO_CLIENT, scopes=scopes)
        for kind in (SubjectKind.LEAD, SubjectKind.VISITOR):
            subjects.create_subject(actor=actor, kind=kind)
        person_password = secrets.token_urlsafe(12)
        accounts.sign_up(phone=DEMO_PHONE, email=DEMO_EMAIL, password=person_password,
                         channel="api")
        return {"username": "admin", "password": password, "api_key": key,
                "scopes": ",".join(scopes), "person_login": DEMO_EMAIL,
                "person_password": person_password}
