"""The public stories page, and the privacy-center page where a person agrees to, declines
or withdraws the publication of each item about them.

The public pages check each item's consent as they render, so an item whose consent ended is
never shown, even before the takedown has run.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from piwarden.accounts.views import account_required
from piwarden.audit.actors import Actor
from piwarden.publication import consents, labels, services
from piwarden.publication.models import PublishedItem, Status, TakedownReason
from piwarden.web.ratelimit import client_ip


def _card(item: PublishedItem, lang: str) -> dict:
    return {"item": item, "kind": labels.kind(item, lang), "title": labels.title(item, lang),
            "body": labels.body(item, lang)}


def _visible(item: PublishedItem) -> bool:
    return item.status == Status.PUBLISHED and consents.holds(item)


@require_GET
def stories(request):
    lang = labels.language()
    items = [item for item in PublishedItem.objects.filter(status=Status.PUBLISHED)
             .order_by("-published_at") if consents.holds(item)]
    return render(request, "publication/stories.html",
                  {"cards": [_card(item, lang) for item in items]})


@require_GET
def story(request, item_id):
    item = PublishedItem.objects.filter(pk=item_id).first()
    if item is None or item.status in (Status.DRAFT, Status.AWAITING_CONSENT):
        raise Http404
    if not _visible(item):
        return render(request, "publication/gone.html", status=410)
    return render(request, "publication/story.html", {"card": _card(item, labels.language())})


def _image(item: PublishedItem) -> HttpResponse:
    if not item.image:
        raise Http404
    response = HttpResponse(bytes(item.image), content_type=item.image_type)
    response["Cache-Control"] = "no-cache"  # a taken-down image must not live on in caches
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def story_image(request, item_id):
    item = PublishedItem.objects.filter(pk=item_id).first()
    if item is None or not _visible(item):
        raise Http404
    return _image(item)


def _own(request, item_id) -> PublishedItem:
    """The person's own item, once offered to them; anyone else's is a 404."""
    item = (PublishedItem.objects.filter(pk=item_id, subject=request.account.subject)
            .exclude(status=Status.DRAFT).exclude(takedown_reason=TakedownReason.ERASURE)
            .select_related("subject").first())
    if item is None:
        raise Http404
    return item


def _state(item: PublishedItem, lang: str) -> tuple[str, str]:
    state = consents.state(item)
    if state.holds:
        return "granted", labels.text("state.granted", lang)
    if state.ended_at is not None or item.status == Status.TAKEN_DOWN:
        return "ended", labels.text("state.ended", lang)
    return "awaiting", labels.text("state.awaiting", lang)


@account_required
@require_GET
def mine(request):
    lang = labels.language()
    rows = []
    for item in (PublishedItem.objects.filter(subject=request.account.subject)
                 .exclude(status=Status.DRAFT)
                 .exclude(takedown_reason=TakedownReason.ERASURE).order_by("-created_at")):
        code, words = _state(item, lang)
        rows.append({**_card(item, lang), "state": code, "state_name": words,
                     "status_name": labels.text(_status_key(item), lang)})
    return render(request, "publication/mine.html", {"rows": rows})


def _status_key(item: PublishedItem) -> str:
    return f"status.{item.status}"  # drafts are never shown to the person


@account_required
@require_http_methods(["GET", "POST"])
def mine_item(request, item_id):
    item, lang = _own(request, item_id), labels.language()
    if request.method == "POST":
        return _choose(request, item, lang)
    code, words = _state(item, lang)
    return render(request, "publication/mine_item.html", {
        **_card(item, lang), "state": code, "state_name": words,
        "status_name": labels.text(_status_key(item), lang),
        # The content is shown above, laid out; these are the notice's other lines.
        "lines": [text for key, text in consents.notice_lines(item, lang)
                  if key not in ("kind", "title", "text")],
        "contents": _contents(item, lang), "reference": consents.reference(item),
        "offered": item.status != Status.TAKEN_DOWN})


def _contents(item: PublishedItem, lang: str) -> list[dict]:
    names = {"zh-hans": _("Chinese"), "en": _("English")}
    return [{"language": names[code], "title": labels.title(item, code),
             "body": labels.body(item, code)} for code in ("zh-hans", "en")]


def _choose(request, item: PublishedItem, lang: str):
    choice = request.POST.get("choice", "")
    try:
        services.choose(actor=Actor.person(item.subject), item=item, choice=choice, lang=lang,
                        shown=request.POST.get("reference", ""), ip=client_ip(request),
                        user_agent=request.headers.get("user-agent", ""))
    except services.ServiceError:
        messages.error(request, _("That choice could not be recorded. Please look at the "
                                  "item again and choose once more."))
        return redirect("publication:mine_item", item_id=item.pk)
    if choice == "grant":
        messages.success(request, _("Thank you: your consent to publishing this item is "
                                    "recorded."))
    else:
        messages.success(request, _("Done: this item is not published. If it was on our "
                                    "website, it has been taken down."))
    return redirect("publication:mine_item", item_id=item.pk)


@account_required
@require_GET
def mine_image(request, item_id):
    return _image(_own(request, item_id))
