"""The quarterly access review: each quarter a review lists every active grant; a privacy
officer confirms or revokes each line; an open review past its due date raises one alert."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.roles.models import AccessReview, AccessReviewLine, Decision, Grant
from piwarden.roles.services import GrantError, end_grants, require_officer


def quarter_of(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def due_days() -> int:
    return int(getattr(settings, "PIWARDEN_ACCESS_REVIEW_DAYS", 14))


@transaction.atomic
def open_review(*, actor: Actor) -> AccessReview | None:
    """Open this quarter's review unless it exists; None when it already does."""
    now = timezone.now()
    review, made = AccessReview.objects.get_or_create(
        quarter=quarter_of(now), defaults={"opened_at": now,
                                           "due_at": now + timedelta(days=due_days())})
    if not made:
        return None
    grants = Grant.objects.filter(applied=True).order_by("user_id", "key")
    lines = AccessReviewLine.objects.bulk_create(
        AccessReviewLine(review=review, grant=grant) for grant in grants)
    audit.record(actor=actor, action="roles.access_review_opened", obj=review,
                 detail={"quarter": review.quarter, "lines": len(lines)})
    return review


@transaction.atomic
def decide(*, actor: Actor, line: AccessReviewLine, confirm: bool) -> AccessReviewLine:
    """A privacy officer, not the grant's holder, confirms a line or revokes its grant; the
    review closes with its last line."""
    line = (AccessReviewLine.objects.select_for_update().select_related("grant__user", "review")
            .get(pk=line.pk))
    officer = require_officer(actor, not_user=line.grant.user)
    if line.decision != Decision.PENDING or line.review.closed_at is not None:
        raise GrantError("ALREADY_DECIDED", _("This line was already decided."), status=409)
    line.decision = Decision.CONFIRMED if confirm else Decision.REVOKED
    line.decided_by, line.decided_at = officer, timezone.now()
    line.save(update_fields=["decision", "decided_by", "decided_at"])
    audit.record(actor=actor, action="roles.access_review_decided", obj=line.review,
                 detail={"grant": line.grant_id, "user": line.grant.user_id,
                         "role": line.grant.key, "decision": line.decision})
    grant = Grant.objects.select_for_update().select_related("user").get(pk=line.grant_id)
    if not confirm and grant.applied:
        end_grants(actor, [grant], officer, "access_review")
    review = line.review
    if not review.lines.filter(decision=Decision.PENDING).exists():
        review.closed_at = timezone.now()
        review.save(update_fields=["closed_at"])
        audit.record(actor=actor, action="roles.access_review_closed", obj=review,
                     detail={"quarter": review.quarter})
    return line


@transaction.atomic
def alert_overdue(*, actor: Actor) -> int:
    """One alert per open review past its due date."""
    late = list(AccessReview.objects.select_for_update().filter(
        closed_at=None, overdue_alerted_at=None, due_at__lte=timezone.now()))
    for review in late:
        pending = review.lines.filter(decision=Decision.PENDING).count()
        raise_alert(kind="roles.access_review_overdue", severity="medium",
                    source="roles.access_review",
                    summary=f"Access review {review.quarter} is overdue: {pending} grant(s) "
                            f"still to confirm or revoke.", objects=[review], actor=actor)
        review.overdue_alerted_at = timezone.now()
        review.save(update_fields=["overdue_alerted_at"])
    return len(late)
