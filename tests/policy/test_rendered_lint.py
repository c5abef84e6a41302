"""The policy piwarden renders from its model passes piwarden's own policy lint."""

import html
import re

import pytest
from django.test import Client

from piwarden.policy import lint

pytestmark = pytest.mark.django_db


def _text(page: str) -> str:
    """The page's main text, one block per line, as a policy document would be written."""
    body = page.split("<main", 1)[-1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    body = re.sub(r"</?(h\d|p|li|tr|section|div|dt|dd|table|ul|ol)\b[^>]*>", "\n", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_d_policy_lint_passes_the_policy_rendered_from_the_model(published, lang):
    """D (requirements §4): the published policy, generated from the catalog and its terms,
    has none of the defects the lint finds in the seed policy (conflicts or missing items)."""
    client = Client()
    client.cookies["django_language"] = lang
    text = _text(client.get("/privacy/policy/").content.decode())
    assert len(text) > 2000
    findings = [f for f in lint.lint(text) if f.severity != "editorial"]
    assert findings == [], lint.to_text(findings, f"/privacy/policy/ ({lang})")
