"""Staff for tests: recorded in the personnel registry, and holding roles through real grants.

    from tests.roles.factories import cleared, grant_role
    grant_role(user, registry.LEGAL)     # agreement and training recorded first, as required
"""

import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.roles import services

PDF = b"%PDF-1.4 signed confidentiality agreement"
OPERATOR = Actor.system("tests")


def staff_user(name: str = "staff", **fields):
    return get_user_model().objects.create_user(
        f"{name}-{uuid.uuid4().hex[:6]}", f"{name}@operator.test", "x", is_staff=True, **fields)


def cleared(user):
    """Record a signed agreement and a training date for ``user`` (by the operator)."""
    today = timezone.localdate()
    with transaction.atomic():
        services.record_agreement(actor=OPERATOR, user=user, signed_on=today, data=PDF)
        return services.record_training(actor=OPERATOR, user=user, trained_on=today)


def grant_role(user, key: str, *, actor: Actor = OPERATOR):
    """``user`` cleared, then granted ``key`` (by the operator unless ``actor`` is given)."""
    cleared(user)
    return services.grant(actor=actor, user=user, key=key)


def enrol(user):
    """Set up ``user``'s authenticator, as the enrolment page does."""
    import pyotp

    from piwarden.roles import second_factor

    secret = second_factor.start_enrolment(user=user)
    assert second_factor.confirm_enrolment(user=user, code=pyotp.TOTP(secret).now())
    return user
