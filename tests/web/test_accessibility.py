"""Issue 17, "Accessible": every form field of the privacy center has a label, and the
stylesheet's colours meet WCAG AA contrast."""

import re
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.db import transaction
from django.test import Client
from django.urls import reverse

from .pagecheck import unlabelled_fields

pytestmark = pytest.mark.django_db

PUBLIC = ["home", "developers", "accounts:signup", "accounts:login", "consent:choices",
          "consent:cookies", "rights:verify", "leads:contact", "policy:current",
          "publication:stories", "sites:index"]
SIGNED_IN = ["accounts:home", "accounts:security", "accounts:services", "rights:index",
             "rights:new", "rights:cancel", "payments:home", "payments:profile", "sharing:index",
             "notify:messages", "publication:mine", "campaigns:mine", "partners:sources"]


@pytest.fixture
def signed_in(system_actor):
    from piwarden.accounts.models import Account
    from piwarden.subjects.services import create_subject

    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
        user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}")
        Account.objects.create(user=user, subject=subject)
    client = Client()
    client.force_login(user)
    return client


def test_i17_a11y_the_field_check_catches_an_unlabelled_field():
    """The check itself: a bare input is reported; label-for, a wrapping label, aria-label
    and hidden inputs pass."""
    html = ('<label for="a">A</label><input id="a" name="a"><label>B <input name="b"></label>'
            '<input name="c" aria-label="C"><input type="hidden" name="d"><input name="bare">'
            '<select name="s"></select><button type="submit">Go</button>')
    assert unlabelled_fields(html) == ["<input name='bare' id=''>", "<select name='s' id=''>"]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_i17_a11y_every_field_of_the_main_pages_has_a_label(client, signed_in, lang):
    """Each visible input, select and textarea of the main privacy-center pages, signed out
    and signed in, has a <label for>, a wrapping label or an aria-label."""
    missing = {}
    pages = [(client, name) for name in PUBLIC] + [(signed_in, name) for name in SIGNED_IN]
    for who, name in pages:
        response = who.get(reverse(name), HTTP_ACCEPT_LANGUAGE=lang)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        fields = unlabelled_fields(response.content.decode())
        if fields:
            missing[name] = fields
    assert missing == {}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_i17_a11y_stylesheet_colours_meet_wcag_aa():
    """Text colours against the backgrounds they are used on reach 4.5:1; the focus ring
    (drawn 2px outside the element, on the page's background) reaches 3:1."""
    css = Path(finders.find("piwarden/site.css")).read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    colours["white"] = "#ffffff"
    text_pairs = [("text", "white"), ("muted", "white"), ("muted", "surface"),
                  ("link", "white"), ("white", "primary"), ("white", "primary-hover"),
                  ("white", "danger"), ("white", "danger-hover"), ("danger", "white"),
                  ("danger", "danger-bg"), ("ok", "ok-bg"), ("text", "info-bg"),
                  ("text", "surface"), ("warn", "white"), ("link", "surface")]
    low = {f"{a} on {b}": round(contrast(colours[a], colours[b]), 2)
           for a, b in text_pairs if contrast(colours[a], colours[b]) < 4.5}
    low.update({f"focus on {b}": round(contrast(colours["focus"], colours[b]), 2)
                for b in ("white", "surface", "info-bg")
                if contrast(colours["focus"], colours[b]) < 3})
    assert low == {}
