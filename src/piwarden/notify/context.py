"""Template context for every page: the person's site messages waiting to be shown (the box
at the top of the base template) and the public announcements (the home page). Both are lazy:
a page that does not show them runs no query."""

from django.utils.functional import SimpleLazyObject

from piwarden.audit.actors import Actor
from piwarden.notify import pages, selectors, services


def _pending(request) -> list[dict]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return []
    account = getattr(user, "account", None)
    if account is None:
        return []
    waiting = selectors.pending_site_messages(account.subject)
    if any(d.shown_at is None for d in waiting):
        services.mark_shown(actor=Actor.person(account.subject), deliveries=waiting)
    return [pages.shown(d) for d in waiting]


def _announcements() -> list[dict]:
    zh = pages.language() == "zh-hans"
    return [{"title": a.title_zh if zh else a.title_en, "body": a.body_zh if zh else a.body_en,
             "published_at": a.published_at} for a in selectors.current_announcements()]


def notices(request) -> dict:
    return {"notify_pending": SimpleLazyObject(lambda: _pending(request)),
            "notify_announcements": SimpleLazyObject(_announcements)}
