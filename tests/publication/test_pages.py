"""The public stories page and the person's privacy-center page (S-4.3.1): zh-Hans and
English, consent checked as the page renders, another person's item unreachable."""

import html

import pytest
from django.test import Client

from piwarden.consent.models import Choice, ConsentEvent
from piwarden.publication import consents
from piwarden.publication.models import PURPOSE, Status

from .conftest import PNG, choose, sign_in

pytestmark = pytest.mark.django_db

STORIES = "/stories/"
# Codes that must never reach a page.
CODES = ("disclosure.public", "separate.public_disclosure", "case_study", "awaiting_consent",
         "taken_down", "consent_ended", "user.name", "CONSENT_MISSING")


def text(response) -> str:
    return html.unescape(response.content.decode())


def visitor(lang="en") -> Client:
    client = Client()
    client.cookies["django_language"] = lang
    return client


def mine(item) -> str:
    return f"{STORIES}mine/{item.pk}/"


def no_codes(content: str) -> None:
    shown = [code for code in CODES if code in content]
    assert not shown, shown


@pytest.mark.parametrize(("lang", "title", "body", "kind"), [
    ("en", "Ms Wang's testimonial", "Great service.", "Testimonial"),
    ("zh-hans", "王女士的评价", "服务很好。", "用户评价")])
def test_s_4_3_1_public_page_shows_published_items_in_both_languages(published, lang, title,
                                                                     body, kind):
    for url in (STORIES, f"{STORIES}{published.pk}/"):
        response = visitor(lang).get(url)
        assert response.status_code == 200
        content = text(response)
        assert title in content and body in content and kind in content
        no_codes(content)
    image = visitor(lang).get(f"{STORIES}{published.pk}/image")
    assert image.status_code == 200 and image.content == PNG
    assert image["Content-Type"] == "image/png"


def test_s_4_3_1_an_item_not_yet_published_is_not_found(make_item):
    item = make_item(image=True)
    choose(item)  # agreed, but staff have not published it
    assert visitor().get(f"{STORIES}{item.pk}/").status_code == 404
    assert visitor().get(f"{STORIES}{item.pk}/image").status_code == 404
    assert str(item.pk) not in text(visitor().get(STORIES))


def test_s_4_3_1_after_revocation_the_page_no_longer_shows_it(published):
    choose(published, Choice.WITHDRAW)
    gone = visitor().get(f"{STORIES}{published.pk}/")
    assert gone.status_code == 410
    assert "taken down" in text(gone)
    assert visitor("zh-hans").get(f"{STORIES}{published.pk}/").status_code == 410
    assert str(published.pk) not in text(visitor().get(STORIES))
    assert visitor().get(f"{STORIES}{published.pk}/image").status_code == 404


def test_s_4_3_1_the_page_checks_consent_as_it_renders(published, signal_missed):
    """Even before any takedown ran, an item whose consent ended is not rendered."""
    choose(published, Choice.WITHDRAW)
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert visitor().get(f"{STORIES}{published.pk}/").status_code == 410
    assert str(published.pk) not in text(visitor().get(STORIES))
    assert visitor().get(f"{STORIES}{published.pk}/image").status_code == 404


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("What will be published", "Ms Wang's testimonial", "王女士的评价", "Great service.",
            "within 24 hours", "withdraw", "I agree to publishing this item")),
    ("zh-hans", ("将发布的内容", "王女士的评价", "Ms Wang's testimonial", "服务很好。",
                 "24 小时内", "撤回", "我同意发布此内容"))])
def test_s_4_3_1_the_person_sees_exactly_what_will_be_published(make_item, person, lang,
                                                                words):
    item = make_item(image=True)
    client = sign_in(person, lang)
    content = text(client.get(mine(item)))
    for word in (*words, f"/stories/{item.pk}/", consents.reference(item)):
        assert word in content, word
    no_codes(content)
    assert client.get(f"{mine(item)}image").content == PNG
    listed = text(client.get(f"{STORIES}mine/"))
    assert str(item.pk) in listed
    no_codes(listed)


def test_s_4_3_1_the_person_agrees_and_withdraws_on_the_same_page(make_item, person, staff):
    from piwarden.publication import services

    item = make_item()
    client = sign_in(person, "zh-hans")
    response = client.post(mine(item), {"choice": "grant",
                                        "reference": consents.reference(item)})
    assert response.status_code == 302
    event = ConsentEvent.objects.get(subject=person, purpose=PURPOSE)
    assert event.channel == "web" and consents.reference(item) in event.notice.text
    assert "王女士的评价" in event.notice.text  # the words shown, in the person's language
    services.publish(actor=staff, item=item)
    assert "您已同意" in text(client.get(mine(item)))
    client.post(mine(item), {"choice": "withdraw", "reference": consents.reference(item)})
    item.refresh_from_db()
    assert item.status == Status.TAKEN_DOWN
    assert visitor().get(f"{STORIES}{item.pk}/").status_code == 410


def test_s_4_3_1_a_choice_about_changed_content_is_refused(make_item, person):
    item = make_item()
    client = sign_in(person)
    client.post(mine(item), {"choice": "grant", "reference": "PW-stale"})
    assert not consents.holds(item)


def test_s_4_3_1_another_persons_item_is_unreachable(make_item, make_subject):
    """Someone else's item answers 404 to view, image and choice, and is not listed."""
    item = make_item(image=True)
    stranger = sign_in(make_subject())
    assert stranger.get(mine(item)).status_code == 404
    assert stranger.get(f"{mine(item)}image").status_code == 404
    assert stranger.post(mine(item), {"choice": "grant",
                                      "reference": consents.reference(item)}).status_code == 404
    assert not ConsentEvent.objects.filter(purpose=PURPOSE).exists()
    assert str(item.pk) not in text(stranger.get(f"{STORIES}mine/"))


def test_s_4_3_1_drafts_are_not_shown_to_the_person(make_item, person):
    item = make_item(requested=False)
    assert sign_in(person).get(mine(item)).status_code == 404


def test_s_4_3_1_the_page_needs_a_signed_in_person_and_csrf(make_item, person):
    item = make_item()
    response = visitor().get(mine(item))
    assert response.status_code == 302 and "/account/" in response["Location"]
    strict = sign_in(person, enforce_csrf_checks=True)
    assert strict.post(mine(item), {"choice": "grant"}).status_code == 403
    assert not ConsentEvent.objects.filter(purpose=PURPOSE).exists()
