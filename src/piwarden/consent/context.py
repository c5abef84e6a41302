"""Template context for every page: the chosen text size and new purposes awaiting a decision."""

from piwarden.consent import selectors

_SIZES = {"font=large": "112.5%", "font=larger": "125%"}


def privacy(request) -> dict:
    """A purpose added to the catalog is prompted at the person's next visit (and denied
    until they decide), so every page counts the undecided ones."""
    pending = 0
    user = getattr(request, "user", None)
    account = getattr(user, "account", None) if user and user.is_authenticated else None
    if account is not None:
        pending = sum(1 for row in selectors.choices_for(account.subject) if row.state is None)
    return {"pw_font_size": _SIZES.get(request.COOKIES.get("pw_prefs", "")),
            "consent_pending": pending}
