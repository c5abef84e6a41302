"""Small HTML checks shared by the look and accessibility tests (no browser needed)."""

from html.parser import HTMLParser

LABELLED_BY_ITSELF = {"submit", "button", "reset", "image", "hidden"}


class _Fields(HTMLParser):
    """Collects form fields, the ids that a ``<label for>`` names, and fields inside a label."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value or "") for name, value in attrs}
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            self.fields.append({"tag": tag, "attrs": attrs, "wrapped": self._label_depth > 0})

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "label":
            self._label_depth -= 1

    def handle_endtag(self, tag):
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def unlabelled_fields(html: str) -> list[str]:
    """Each visible ``input``/``select``/``textarea`` without a ``<label for>``, a wrapping
    label, ``aria-label`` or ``aria-labelledby`` (an axe "label" rule, over static HTML)."""
    parser = _Fields()
    parser.feed(html)
    missing = []
    for field in parser.fields:
        attrs = field["attrs"]
        if field["tag"] == "input" and attrs.get("type", "text").lower() in LABELLED_BY_ITSELF:
            continue
        if "hidden" in attrs or attrs.get("aria-hidden") == "true":
            continue
        if field["wrapped"] or attrs.get("aria-label", "").strip():
            continue
        if attrs.get("id") and attrs["id"] in parser.label_for:
            continue
        if any(ref in parser.ids for ref in attrs.get("aria-labelledby", "").split()):
            continue
        name, ident = attrs.get("name", ""), attrs.get("id", "")
        missing.append(f"<{field['tag']} name={name!r} id={ident!r}>")
    return missing


class _Text(HTMLParser):
    """The text a person reads: no tags, attribute values, scripts or styles."""

    SKIP = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def between(html: str, start: str, end: str) -> str:
    """The part of ``html`` from the first ``start`` to the next ``end``."""
    begin = html.index(start)
    return html[begin:html.index(end, begin)]
