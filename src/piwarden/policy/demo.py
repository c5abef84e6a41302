"""The demo ends with the loaded catalog's policy version published, so the pages work."""

from piwarden.audit.actors import Actor
from piwarden.policy import selectors, services
from piwarden.policy.models import PolicyVersion


def set_up() -> PolicyVersion:
    actor = Actor.system("demo")
    latest = selectors.latest_published()
    if latest is not None:
        return latest
    draft = services.create_draft(actor=actor)
    return services.publish(actor=actor, version=draft.version)
