"""Console actions that run one service per selected row."""

from django.contrib import messages

from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError


def run_per_row(modeladmin, request, queryset, call, done: str) -> None:
    """``call(actor, row)`` for each selected row; a refusal is shown on the page, not
    raised, and the others still run."""
    actor, ok = Actor.staff(request.user), 0
    for row in queryset:
        try:
            call(actor, row)
            ok += 1
        except ServiceError as error:
            modeladmin.message_user(request, f"{row}: {error.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok}: {done}", messages.SUCCESS)
