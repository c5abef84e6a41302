"""gunicorn settings: ``gunicorn --config python:piwarden.gunicorn_conf piwarden.wsgi:application``.

``piwarden serve`` and ``bench/decisions.py`` start gunicorn with this module; the bind address
and the number of workers are given on the command line (which wins over this module), and
``GUNICORN_CMD_ARGS`` changes anything else.

Why these settings:
- The threaded worker with keep-alive, and one thread. A site's back-end sends its API calls
  one after another on a kept connection; the sync worker closed every connection after one
  request, so each paid a new TCP connection and gunicorn's accept and close. The gthread
  worker keeps them, whatever its number of threads. One thread per process: with four, a
  consent write cost about 0.6 ms more server CPU (2.1-2.3 ms against 1.5-1.7 ms per write,
  bench/decisions.py, same sitting), threads handing the interpreter lock to each other while
  others wait for their commits. Requests are answered side by side by processes instead
  (``piwarden serve`` starts twice the cores plus one, as gunicorn advises for workers that
  wait on a database).
- The application is loaded once in the master (``preload_app``) and shared by the forked
  workers: a worker starts (and restarts) at once, without importing Django, building the URL
  configuration and the API schemas again. Nothing in the master may hold a database
  connection a worker would inherit (``pre_fork``), and each worker starts its own cache
  freshness watcher (``post_fork``): a thread does not survive ``fork()``.
- The access log names the method, the path, the status, the size and the time: no client
  address and no query string, so that it never becomes a store of personal information
  (``AccessLogger`` computes just these fields); a token in the path (a certificate, an
  unsubscribe or a guardian link) is written as ``[token]``; control characters in the path
  are escaped, so a request cannot forge a log line.
"""

import re

from gunicorn import glogging

# No client address and no query string: access logs must not become a store of PI.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


# Paths whose last segment is a bearer token (a deletion certificate's link, an unsubscribe
# link, a guardian's confirmation): the log keeps the route, never the token.
_TOKEN_IN_PATH = re.compile(r"/(certificates/link|unsubscribe|guardian)/[^/]+")


def loggable(path: str) -> str:
    """The path as the access log writes it: tokens replaced, control characters escaped."""
    return printable(_TOKEN_IN_PATH.sub(r"/\1/[token]", path))


def printable(text: str) -> str:
    """A path as one log line: a decoded ``%0A`` (or any control character) is written as an
    escape, so a request cannot forge a line of the log."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


class AccessLogger(glogging.Logger):
    """gunicorn's logger, computing only the access line's own fields when the format is
    ``ACCESS_LOG_FORMAT``: the stock one first copies every request header, response header
    and environment variable into the record, which cost as much as answering a decision."""

    def atoms(self, resp, req, environ, request_time):
        if self.cfg.access_log_format != ACCESS_LOG_FORMAT:
            return super().atoms(resp, req, environ, request_time)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        return {"t": self.now(), "m": environ.get("REQUEST_METHOD"),
                "U": loggable(environ.get("PATH_INFO") or ""), "s": status,
                "b": str(sent) if sent is not None else "-",
                "M": request_time.seconds * 1000 + request_time.microseconds // 1000}


worker_class = "gthread"
threads = 1
# Longer than the idle timeout of the usual proxies and load balancers (60 s), so that they
# close a kept connection first and never send a request on one the server is closing.
keepalive = 75
preload_app = True
accesslog = "-"
access_log_format = ACCESS_LOG_FORMAT
logger_class = "piwarden.gunicorn_conf.AccessLogger"
# No control socket: its default path is shared by every instance on the host.
control_socket_disable = True


def pre_fork(server, worker) -> None:
    """In the master: a database connection opened while loading the application would be
    shared by every worker; close it before forking."""
    from django.db import connections

    connections.close_all()


def post_fork(server, worker) -> None:
    """In the new worker: start its own freshness watcher (docs/caches.md)."""
    from piwarden.caches import freshness

    freshness.start_watcher()
