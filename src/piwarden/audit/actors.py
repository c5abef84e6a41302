"""Who did something: every service function takes one explicitly (never from a global)."""

from dataclasses import dataclass

from django.db import models


class ActorKind(models.TextChoices):
    PERSON = "person", "Data subject"
    STAFF = "staff", "Staff member"
    API_CLIENT = "api_client", "API client"
    SYSTEM = "system", "System job"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str

    @classmethod
    def person(cls, subject) -> "Actor":
        return cls(ActorKind.PERSON, str(subject.pk))

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(ActorKind.STAFF, str(user.pk))

    @classmethod
    def api_client(cls, client) -> "Actor":
        return cls(ActorKind.API_CLIENT, str(client.pk))

    @classmethod
    def system(cls, job: str) -> "Actor":
        return cls(ActorKind.SYSTEM, job)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"
