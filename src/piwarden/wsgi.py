"""WSGI entry point for gunicorn (settings: ``piwarden.gunicorn_conf``)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "piwarden.settings")
django_application = get_wsgi_application()

# The consent API's hot calls (decisions, single choices with an API key) are answered in
# front of Django's request handling; everything else goes to Django (consent/fastpath.py).
from piwarden.consent.fastpath import ConsentFastPath  # noqa: E402 - needs the settings above

application = ConsentFastPath(django_application)

# Import the URL configuration (every router and API schema) now rather than at the first
# request: gunicorn loads this module once in its master and forks the workers from it.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Each web process hears of changes made by every other process and host (docs/caches.md).
# Under gunicorn with our config this module is loaded once in the master, which must not
# watch: a fork while its watcher thread is inside SQLite or psycopg would leave the worker
# with a lock held forever. gunicorn_conf.post_fork starts one in each worker instead.
if "piwarden.gunicorn_conf" not in sys.modules:
    from piwarden.caches import freshness

    freshness.start_watcher()
