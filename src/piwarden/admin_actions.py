"""Console actions that run one service per selected row."""

from django.contrib import messages

from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError


def run_per_row(modeladmin, request, queryset, call, done: str = "", *, label=str,
                level=messages.ERROR) -> int:
    """``call(actor, row)`` for each selected row; a refusal is shown on the page (the row
    named by ``label(row)``, at ``level``), not raised, and the others still run. Returns how
    many rows were changed; ``done`` words them when given."""
    actor, ok = Actor.staff(request.user), 0
    for row in queryset:
        try:
            call(actor, row)
            ok += 1
        except ServiceError as error:
            modeladmin.message_user(request, f"{label(row)}: {error.message}", level)
    if ok and done:
        modeladmin.message_user(request, f"{ok}: {done}", messages.SUCCESS)
    return ok
