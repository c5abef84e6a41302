"""A browser whose session has passed the identity check for one person (no account needed):
how a person reads their certificate or export once their account is gone."""

from django.test import Client, RequestFactory

from piwarden.subjectdata import access


def verified_client(subject, lang: str = "en") -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE=lang)
    session = browser.session
    request = RequestFactory().get("/")
    request.session = session
    access.mark_verified(request, subject)
    session.save()
    return browser
