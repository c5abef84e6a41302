"""Reads of campaigns and deliveries that pages, the console and the API share."""

from django.db.models import Count, Q

from piwarden.notify.models import Announcement, Campaign, Channel, Delivery, DeliveryStatus


def progress(campaign: Campaign) -> dict:
    """Counts per status and channel, acknowledgements, and the percent handled out."""
    rows = (Delivery.objects.filter(campaign=campaign).values("status", "channel")
            .annotate(n=Count("pk")).order_by())
    by_status = {status: 0 for status in DeliveryStatus.values}
    by_channel: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] += row["n"]
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
    total = sum(by_status.values())
    size = campaign.audience_size or 0
    acknowledged = Delivery.objects.filter(campaign=campaign,
                                           acknowledged_at__isnull=False).count()
    return {"status": campaign.status, "audience": size, "handed_out": total,
            "by_status": by_status, "by_channel": by_channel, "acknowledged": acknowledged,
            "percent": min(100, (100 * total) // size) if size else (100 if total else 0),
            "announcement": Announcement.objects.filter(campaign=campaign).exists()}


def _requires_attention(qs):
    return qs.filter(Q(shown_at__isnull=True) | Q(campaign__require_ack=True,
                                                  acknowledged_at__isnull=True))


def pending_site_messages(subject) -> list[Delivery]:
    """The person's site messages to show at their next page view: not yet shown, or asking
    for an acknowledgement not yet given."""
    return list(_requires_attention(Delivery.objects.filter(subject=subject,
                                                            channel=Channel.SITE))
                .select_related("campaign").order_by("created_at", "pk"))


def messages_of(subject) -> list[Delivery]:
    """Every notice the person was sent, newest first (their /privacy/messages/ page)."""
    return list(Delivery.objects.filter(subject=subject)
                .exclude(status=DeliveryStatus.UNREACHABLE).exclude(channel=Channel.PHONE)
                .select_related("campaign").order_by("-created_at", "-pk"))


def current_announcements() -> list[Announcement]:
    return list(Announcement.objects.filter(withdrawn_at__isnull=True)[:5])
