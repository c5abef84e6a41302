"""Django settings, read from the environment.

With nothing set, piwarden runs on SQLite in ``./var`` and generates its secrets once into
``var/secrets.json`` (git-ignored), so a fresh clone starts with one command and no secret is
ever committed.
"""

import json
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp import constants as csp

REPO_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("PIWARDEN_DATA_DIR", REPO_DIR / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_secrets() -> dict:
    """Secrets generated on first start and kept in the data folder, never in git."""
    path = DATA_DIR / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    values = {"secret_key": secrets.token_urlsafe(50)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return values


SECRET_KEY = os.environ.get("PIWARDEN_SECRET_KEY") or _local_secrets()["secret_key"]
DEBUG = _env_bool("PIWARDEN_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("PIWARDEN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("PIWARDEN_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "ninja",
    "piwarden.web",
    "piwarden.caches",
    "piwarden.subjects",
    "piwarden.audit",
    "piwarden.catalog",
    "piwarden.clients",
    "piwarden.vault",
    "piwarden.consent",
    "piwarden.accounts",
    "piwarden.collection",
    "piwarden.leads",
    "piwarden.campaigns",
    "piwarden.partners",
    "piwarden.payments",
    "piwarden.subjectdata",
    "piwarden.rights",
    "piwarden.alerts",
    "piwarden.outbox",
    "piwarden.sharing",
    "piwarden.roles",
    "piwarden.notify",
    "piwarden.policy",
    "piwarden.sites",
    "piwarden.incidents",
    "piwarden.transfers",
    "piwarden.authorities",
    "piwarden.transactions",
    "piwarden.publication",
    "piwarden.jobs",
    "piwarden.exports",
    "piwarden.staffreads",
    "piwarden.dashboard",
    "piwarden.discovery",
]

MIDDLEWARE = [
    "piwarden.web.middleware.RequestMetricsMiddleware",
    "piwarden.web.middleware.BodySizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "piwarden.sharing.egress.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "piwarden.roles.middleware.GrantExpiryMiddleware",
    "piwarden.roles.middleware.ConsoleIdleMiddleware",
    "piwarden.roles.second_factor_views.EnrolmentRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "piwarden.web.middleware.RequestIdMiddleware",
    "piwarden.web.middleware.ApiResponseMiddleware",
]

ROOT_URLCONF = "piwarden.urls"
WSGI_APPLICATION = "piwarden.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "piwarden.consent.context.privacy",
                "piwarden.notify.context.notices",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'piwarden.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # Every transaction takes the write lock up front, so concurrent writers queue
            # instead of failing on lock upgrade; the audit chain relies on this.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so tests can share the database with other processes (they
        # are given its name); one per test run, so runs side by side never collide.
        config["TEST"] = {"NAME": str(Path(config["NAME"]).with_name(
            f"test-piwarden-{os.getpid()}.sqlite3"))}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["TEST"] = {"NAME": f"test_{config['NAME']}_{os.getpid()}"}
        # Django's own cursors bind on the client and never prepare; this lets the few hot
        # statements that use a server-binding cursor (the audit append) be prepared once
        # per connection. Behind a transaction-pooling PgBouncer, set it to none.
        config.setdefault("OPTIONS", {})["prepare_threshold"] = 1
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Project-level translations win over every app's, Django's own included: where Django's
# Chinese wording is wrong for us (its admin says 注销 for "Log out", which to a person here
# means cancelling the account), the override lives in this one catalog.
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PIWARDEN_TASKS_BACKEND", "piwarden.jobs.backend.JobBackend"),
        "QUEUES": ["default"],
    }
}
# The job queue and `piwarden worker` (docs/jobs.md): attempts before a job is dead, the lease
# a worker's heartbeat renews (a job whose lease passes is taken again), the back-off after a
# failure (doubling from BACKOFF up to BACKOFF_MAX), and SQLite's poll interval (PostgreSQL
# workers wake on LISTEN/NOTIFY).
PIWARDEN_TASK_MAX_ATTEMPTS = int(os.environ.get("PIWARDEN_TASK_MAX_ATTEMPTS", "5"))
PIWARDEN_TASK_LEASE_SECONDS = float(os.environ.get("PIWARDEN_TASK_LEASE_SECONDS", "60"))
PIWARDEN_TASK_BACKOFF_SECONDS = float(os.environ.get("PIWARDEN_TASK_BACKOFF_SECONDS", "10"))
PIWARDEN_TASK_BACKOFF_MAX_SECONDS = float(
    os.environ.get("PIWARDEN_TASK_BACKOFF_MAX_SECONDS", "3600"))
PIWARDEN_WORKER_POLL_SECONDS = float(os.environ.get("PIWARDEN_WORKER_POLL_SECONDS", "0.1"))
# Succeeded jobs are deleted this many days after they finished (dead ones stay for staff).
PIWARDEN_JOBS_KEPT_DAYS = int(os.environ.get("PIWARDEN_JOBS_KEPT_DAYS", "14"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("PIWARDEN_HTTPS", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Request bodies: refused early above what an endpoint needs (413). The largest is an
# upload of 10 MiB (scans, evidence) with its form; a batch of 1,000 events with long URLs
# is about 4.5 MB; an anonymous call-back form is a few KB.
PIWARDEN_MAX_BODY_BYTES = int(os.environ.get("PIWARDEN_MAX_BODY_BYTES", str(12 * 1024 * 1024)))
PIWARDEN_BODY_LIMITS = {"/contact/": 64 * 1024, "/api/v1/leads/": 64 * 1024,
                        "/api/v1/collection/": 8 * 1024 * 1024,
                        "/api/v1/consent/": 2 * 1024 * 1024}
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024  # form and JSON bodies a view reads in memory
# Behind HTTPS, browsers are told to use nothing else for a year (HSTS).
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of piwarden's own pages (django-csp). Inline <script> and <style>
# blocks carry the request's nonce ({{ request.csp_nonce }}); style attributes stay allowed
# (they cannot run code). On HTML pages script-src also lists the browser-script origins of
# active recipients (sharing/egress.py, K-3.2).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PIWARDEN_LOG_LEVEL", "INFO")},
}

# The operator's data catalog ("privacy as code"), loaded with `piwarden catalog load`.
PIWARDEN_CATALOG_FILE = Path(
    os.environ.get("PIWARDEN_CATALOG_FILE", REPO_DIR / "catalog" / "piwarden.yaml")
)

LOGIN_URL = "accounts:login"

# PIPL Art. 47: data held only on a withdrawn consent is erased after this many days.
PIWARDEN_ERASE_ON_WITHDRAWAL = _env_bool("PIWARDEN_ERASE_ON_WITHDRAWAL", True)
PIWARDEN_WITHDRAWAL_ERASURE_DAYS = int(os.environ.get("PIWARDEN_WITHDRAWAL_ERASURE_DAYS", "7"))
# Cross-border transfers (transfers.md): the thresholds file (with its source), critical
# information infrastructure operator (always a security assessment), days of warning before
# a mechanism expires, and staff networks outside mainland China ("CIDR" or
# "CIDR=<catalog recipient key>" when a transfer record covers access from there).
PIWARDEN_TRANSFER_THRESHOLDS_FILE = os.environ.get("PIWARDEN_TRANSFER_THRESHOLDS_FILE", "")
PIWARDEN_CIIO = os.environ.get("PIWARDEN_CIIO", "false").lower() in ("1", "true", "yes")
PIWARDEN_TRANSFER_REMIND_DAYS = int(os.environ.get("PIWARDEN_TRANSFER_REMIND_DAYS", "90"))
# Staff reads (Z-1, D-1.3): how long a stated purpose and an approved unmask stay valid.
PIWARDEN_READ_PURPOSE_MINUTES = int(os.environ.get("PIWARDEN_READ_PURPOSE_MINUTES", "30"))
PIWARDEN_UNMASK_MINUTES = int(os.environ.get("PIWARDEN_UNMASK_MINUTES", "15"))
# Staff roles (docs/staff.md): grant length, reminder before expiry, break-glass window,
# days to finish the quarterly access review, console idle logout.
PIWARDEN_GRANT_DAYS = int(os.environ.get("PIWARDEN_GRANT_DAYS", "90"))
PIWARDEN_GRANT_REMIND_DAYS = int(os.environ.get("PIWARDEN_GRANT_REMIND_DAYS", "14"))
PIWARDEN_BREAK_GLASS_MINUTES = int(os.environ.get("PIWARDEN_BREAK_GLASS_MINUTES", "60"))
PIWARDEN_ACCESS_REVIEW_DAYS = int(os.environ.get("PIWARDEN_ACCESS_REVIEW_DAYS", "14"))
PIWARDEN_CONSOLE_IDLE_MINUTES = int(os.environ.get("PIWARDEN_CONSOLE_IDLE_MINUTES", "30"))
PIWARDEN_OVERSEAS_NETWORKS = [n.strip() for n in os.environ.get(
    "PIWARDEN_OVERSEAS_NETWORKS", "").split(",") if n.strip()]
# Public disclosure (publication.md): a withdrawn item is down within this many hours.
PIWARDEN_PUBLICATION_TAKEDOWN_HOURS = int(
    os.environ.get("PIWARDEN_PUBLICATION_TAKEDOWN_HOURS", "24"))
# Banner choices accepted per client IP address and minute.
PIWARDEN_BANNER_RATE = int(os.environ.get("PIWARDEN_BANNER_RATE", "30"))

# Messages (docs/accounts.md). E-mail goes out by SMTP when PIWARDEN_EMAIL_HOST is set; without
# it (the demo) each message is a file under DATA_DIR/messages that an erasure deletes (never
# the log). SMS goes through a small backend interface, the same files by default.
# Every message passes egress control first (sharing/egress.py), which then hands it to the
# delivery backend.
EMAIL_HOST = os.environ.get("PIWARDEN_EMAIL_HOST", "")
EMAIL_BACKEND = "piwarden.sharing.egress.EmailBackend"
PIWARDEN_EMAIL_DELIVERY_BACKEND = os.environ.get("PIWARDEN_EMAIL_DELIVERY_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "piwarden.accounts.message_files.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("PIWARDEN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PIWARDEN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PIWARDEN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("PIWARDEN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("PIWARDEN_EMAIL_FROM", "piwarden <no-reply@localhost>")
PIWARDEN_SMS_BACKEND = os.environ.get(
    "PIWARDEN_SMS_BACKEND", "piwarden.accounts.sms.MessageFileBackend")
PIWARDEN_SMS_FILE = Path(os.environ.get("PIWARDEN_SMS_FILE", DATA_DIR / "sms.jsonl"))


def _site_url_default(argv: list[str]) -> str:
    """Where links in messages point when ``PIWARDEN_SITE_URL`` is not set: ``piwarden serve
    --bind`` exports it to its children (serve.py); ``runserver [ADDR:]PORT`` is read here."""
    if "runserver" in argv:
        args = [a for a in argv[argv.index("runserver") + 1:] if not a.startswith("-")]
        if args:
            addr = args[0]
            host, _sep, port = addr.rpartition(":") if ":" in addr else ("", "", addr)
            if port.isdigit():
                host = host.strip("[]") or "127.0.0.1"
                host = "127.0.0.1" if host in ("0", "0.0.0.0", "::") else host  # noqa: S104
                return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return "http://127.0.0.1:8000"


# Accounts (docs/accounts.md).
PIWARDEN_SITE_URL = os.environ.get("PIWARDEN_SITE_URL") or _site_url_default(sys.argv)
PIWARDEN_AVATAR_DIR = Path(os.environ.get("PIWARDEN_AVATAR_DIR", DATA_DIR / "avatars"))
PIWARDEN_AVATAR_MAX_BYTES = int(os.environ.get("PIWARDEN_AVATAR_MAX_BYTES", str(2 * 1024 * 1024)))
# Profile fields that cannot be changed after verification (policy §6.2); a correction request
# changes them instead.
PIWARDEN_IMMUTABLE_FIELDS = [
    field for field in os.environ.get("PIWARDEN_IMMUTABLE_FIELDS", "id_info").split(",") if field
]
PIWARDEN_CORRECTION_REQUEST_URL = os.environ.get(
    "PIWARDEN_CORRECTION_REQUEST_URL", "/privacy/requests/new/?type=correction")

# Collection (docs/collection.md, leads.md, campaigns.md, partners.md, payments.md).
PIWARDEN_IP_PSEUDONYM_KEY = os.environ.get("PIWARDEN_IP_PSEUDONYM_KEY", "")  # "": from the secret
PIWARDEN_LEADS_RATE = int(os.environ.get("PIWARDEN_LEADS_RATE", "5"))  # per IP and hour
PIWARDEN_LEADS_MIN_FILL_SECONDS = int(os.environ.get("PIWARDEN_LEADS_MIN_FILL_SECONDS", "3"))
PIWARDEN_CAMPAIGN_SCAN_MAX_BYTES = int(os.environ.get("PIWARDEN_CAMPAIGN_SCAN_MAX_BYTES",
                                                      str(10 * 1024 * 1024)))
PIWARDEN_POLICY_URL = os.environ.get("PIWARDEN_POLICY_URL", "")  # "": /privacy/policy/
PIWARDEN_PARTNER_AUTHORIZATION_DAYS = int(
    os.environ.get("PIWARDEN_PARTNER_AUTHORIZATION_DAYS", "365"))
# E-Commerce Law Art. 31: transaction records are kept at least three years after an erasure.
PIWARDEN_TRANSACTION_RETENTION_YEARS = int(
    os.environ.get("PIWARDEN_TRANSACTION_RETENTION_YEARS", "3"))

# Rights requests (docs/rights.md, subjectdata.md).
PIWARDEN_CANCELLATION_COOLING_OFF_DAYS = int(
    os.environ.get("PIWARDEN_CANCELLATION_COOLING_OFF_DAYS", "7"))
PIWARDEN_EXPORT_DAYS = int(os.environ.get("PIWARDEN_EXPORT_DAYS", "7"))  # download link life
PIWARDEN_EXPORT_DIR = Path(os.environ.get("PIWARDEN_EXPORT_DIR", DATA_DIR / "exports"))
# Sharing (docs/sharing.md): sealed packages for recipients, and how long their links work.
PIWARDEN_SHARING_DIR = Path(os.environ.get("PIWARDEN_SHARING_DIR", DATA_DIR / "sharing"))
PIWARDEN_SHARING_LINK_HOURS = int(os.environ.get("PIWARDEN_SHARING_LINK_HOURS", "72"))
PIWARDEN_SHARING_MAX_DOWNLOADS = int(os.environ.get("PIWARDEN_SHARING_MAX_DOWNLOADS", "3"))
# Statistics for third parties (C-2.5.5): a cell counting fewer distinct people is left out.
PIWARDEN_STATISTICS_MIN_CELL = int(os.environ.get("PIWARDEN_STATISTICS_MIN_CELL", "10"))
# Uploaded evidence (consent forms' scans). Never served as static files: staff download them
# through the console only.
MEDIA_ROOT = DATA_DIR / "media"

# Telling many people at once (docs/notify.md): a campaign to more people than this needs a
# second staff member's approval; sending pace (an int for every channel, or JSON
# {"email": 600, "sms": 100}; unset: as fast as the job goes); people per chunk; the language
# of a person who never chose one.
PIWARDEN_NOTIFY_APPROVAL_ABOVE = int(os.environ.get("PIWARDEN_NOTIFY_APPROVAL_ABOVE", "1000"))
PIWARDEN_NOTIFY_PER_MINUTE = json.loads(os.environ.get("PIWARDEN_NOTIFY_PER_MINUTE", "null"))
PIWARDEN_NOTIFY_CHUNK = int(os.environ.get("PIWARDEN_NOTIFY_CHUNK", "1000"))
PIWARDEN_NOTIFY_DEFAULT_LANGUAGE = os.environ.get("PIWARDEN_NOTIFY_DEFAULT_LANGUAGE", "zh-hans")
# The policy as versioned data (docs/policy.md): the terms file beside the catalog, and how
# long submissions naming the previous version are still accepted.
PIWARDEN_POLICY_TERMS = os.environ.get("PIWARDEN_POLICY_TERMS") or None
PIWARDEN_POLICY_GRACE_DAYS = int(os.environ.get("PIWARDEN_POLICY_GRACE_DAYS", "30"))
# Discontinuation (docs/sites.md): days of notice before a service ends (never below 15).
PIWARDEN_SUNSET_NOTICE_DAYS = int(os.environ.get("PIWARDEN_SUNSET_NOTICE_DAYS", "15"))
# Incidents (docs/incidents.md): the reporting rule set ("operator" or "cii"), hours per
# severity replacing the set's (JSON), progress-update cadence, the last drill's allowed age.
PIWARDEN_INCIDENT_RULE_SET = os.environ.get("PIWARDEN_INCIDENT_RULE_SET", "operator")
PIWARDEN_INCIDENT_RULES = json.loads(os.environ.get("PIWARDEN_INCIDENT_RULES", "{}"))
PIWARDEN_INCIDENT_PROGRESS_DAYS = int(os.environ.get("PIWARDEN_INCIDENT_PROGRESS_DAYS", "7"))
PIWARDEN_INCIDENT_DRILL_DAYS = int(os.environ.get("PIWARDEN_INCIDENT_DRILL_DAYS", "365"))
# Anomaly alerts (docs/audit.md): more people than this handed to one staff member or API
# client within 60 seconds; staff PI reads outside these hours (China time, PRC working
# days; "" turns the check off).
PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE = int(
    os.environ.get("PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE", "500"))
PIWARDEN_WORKING_HOURS = os.environ.get("PIWARDEN_WORKING_HOURS", "08:00-20:00")

# Discovery (docs/discovery.md): the application logs `piwarden discover` scans. piwarden logs
# to stdout and stderr; a deployment that keeps them in files writes them under this folder
# (or lists other files, comma-separated, in PIWARDEN_LOG_FILES).
PIWARDEN_LOG_DIR = Path(os.environ.get("PIWARDEN_LOG_DIR", DATA_DIR / "logs"))
PIWARDEN_LOG_FILES = [p.strip() for p in os.environ.get("PIWARDEN_LOG_FILES", "").split(",")
                      if p.strip()]

# Operations (docs/operations.md): /status answers 503 when the oldest due task has waited
# longer than this, so a monitor pages someone.
PIWARDEN_STATUS_MAX_TASK_AGE_SECONDS = int(
    os.environ.get("PIWARDEN_STATUS_MAX_TASK_AGE_SECONDS", "300"))
