"""Template context for every page: the chosen text size.

There is no count of "purposes waiting for a decision" any more (issue 17 point 2): a
consent is asked where a function needs it. A purpose added to the catalog is still denied
until the person decides (``decisions``); only the nagging went.
"""

_SIZES = {"font=large": "112.5%", "font=larger": "125%"}


def privacy(request) -> dict:
    return {"pw_font_size": _SIZES.get(request.COOKIES.get("pw_prefs", ""))}
