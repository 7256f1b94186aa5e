"""Settings for Better Together, read from environment variables.

With no variables set, the site runs on its embedded defaults: SQLite, a filesystem Celery broker,
a file cache and mail written to files, all under ``var/``. Production sets DATABASE_URL, REDIS_URL,
the EMAIL_* variables, ALLOWED_HOSTS and SECURE=1 (see README.md).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django.conf.locale
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def read_or_create_secret_key() -> str:
    """Keep one generated key under var/ so sessions survive a restart of the embedded site."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or read_or_create_secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "crispy_forms",
    "crispy_bootstrap5",
    "rules.apps.AutodiscoverRulesConfig",
    "core",  # the floor: the outbox, PDF jobs, token pages and other shared parts
    "events",
    "accounts",  # staff accounts: inviting colleagues, password reset, idle sessions
    # Staff sign-in (accounts/lockout.py, accounts/twofactor.py): lockout after failed tries, and
    # two-factor with an authenticator app (TOTP) and recovery codes (static codes).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The audit log (core.audit): who changed people's data, who downloaded or printed it.
    "auditlog",
    "invitations",
    "artwork",
    "evaluations",
    "actions",
    "records",  # the printable event record: artwork, attendance, words and actions together
    "demo",  # seed_demo: the demo neighbourhood that `make run` sets up
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: private, no-store on every page we make (core.privacy).
    "core.privacy.NoStoreMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy (core.security) on every answer.
    "csp.middleware.CSPMiddleware",
    "core.security.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # English for staff; on the pages people open from their links, their language (core.languages).
    "core.languages.PageLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed out after SESSION_IDLE_HOURS without a request (accounts.sessions).
    "accounts.sessions.IdleTimeoutMiddleware",
    # Was this session verified by a second factor (django-otp); until it is, a signed-in session that
    # needs one reaches only the pages that finish signing in (accounts.twofactor).
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.TwoFactorMiddleware",
    # The audit log's actor: the signed-in user of the request (core.audit, django-auditlog's middleware).
    "core.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into our lockout page (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bettertogether.urls"
WSGI_APPLICATION = "bettertogether.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the file (web, worker, scheduler): wait for locks instead of failing.
    # WAL lets the web, the worker and the scheduler read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, for tests: threads and worker processes in the tests then share it for real.
    # One per test run, so that two runs at once never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user name or address before any password is checked (accounts.lockout).
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "events:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Staff accounts (accounts/). A session ends after this many hours without a request (a box on the
# sign-in page ends it when the browser closes); an invitation's link works this many days; a password
# reset link works this many seconds, once.
SESSION_IDLE_HOURS = float(os.environ.get("SESSION_IDLE_HOURS", "8"))
SESSION_COOKIE_AGE = int(SESSION_IDLE_HOURS * 3600)
STAFF_INVITE_DAYS = int(os.environ.get("STAFF_INVITE_DAYS", "7"))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(24 * 3600)))

LANGUAGE_CODE = "en-gb"
# The languages parents read the site, emails and letters in: each has a catalogue in
# locale/<code>/LC_MESSAGES/django.po. Adding one is a catalogue and a line here (README: "Adding a
# language"); the tests pick it up from this list.
LANGUAGES = [
    ("en-gb", _("English")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("ur", _("Urdu")),
    ("pa", _("Panjabi")),
    ("bn", _("Bengali")),
    ("ar", _("Arabic")),
    ("so", _("Somali")),
    ("pt", _("Portuguese")),
]
# Somali is not in Django's own list of languages: its name and direction, the documented way. The
# language switch names each language in itself, so three of Django's own names are put as their
# speakers write them: Panjabi in Gurmukhi, Polish with a capital, plain "English".
EXTRA_LANG_INFO = {
    "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
    "pa": {"bidi": False, "code": "pa", "name": "Panjabi", "name_local": "ਪੰਜਾਬੀ"},
    "pl": {"bidi": False, "code": "pl", "name": "Polish", "name_local": "Polski"},
    "en-gb": {"bidi": False, "code": "en-gb", "name": "British English", "name_local": "English"},
}
django.conf.locale.LANG_INFO.update(EXTRA_LANG_INFO)
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "bt_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads larger than this are refused before they reach a form (logos are capped lower in the form).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: an SMTP server in production; otherwise each message is written to var/mail.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
    # Well under OUTBOX_STUCK_AFTER_SECONDS: a send that hangs fails (and is retried) long before the
    # sweeper could take its row for another worker.
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "15"))
else:
    EMAIL_BACKEND = "core.mailbox.MailboxBackend"
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# Or another email backend by its dotted path: "core.notify.NotifyEmailBackend" (email through GOV.UK
# Notify) or a django-anymail ESP ("anymail.backends.mailgun.EmailBackend", with ANYMAIL below).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "") or EMAIL_BACKEND

# GOV.UK Notify (core.notify, core.sms): the service's API key, the templates whose whole content is
# ((body)) (and, for email, the subject ((subject))), and the bearer token Notify's delivery callbacks
# carry (core.callbacks). Texts go through Notify when its key is set; otherwise each is written to
# var/sms, readable from the site in DEBUG.
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_SMS_TEMPLATE_ID = os.environ.get("NOTIFY_SMS_TEMPLATE_ID", "")
NOTIFY_EMAIL_TEMPLATE_ID = os.environ.get("NOTIFY_EMAIL_TEMPLATE_ID", "")
NOTIFY_CALLBACK_TOKEN = os.environ.get("NOTIFY_CALLBACK_TOKEN", "")
NOTIFY_TIMEOUT = float(os.environ.get("NOTIFY_TIMEOUT", "15"))
SMS_BACKEND = os.environ.get("SMS_BACKEND", "") or (
    "core.sms.NotifySmsBackend" if NOTIFY_API_KEY else "core.sms.FileSmsBackend"
)
SMS_FILE_PATH = str(VAR_DIR / "sms")
# Texts go only between these hours, local time ("9-19": from 9am until 7pm); one due outside them waits.
SMS_HOURS = tuple(int(hour) for hour in os.environ.get("SMS_HOURS", "9-19").split("-", 1))
# An email provider's tracking webhooks through django-anymail (core.webhooks): the signing key the
# provider gives, and the "user:password" its webhook URL carries (basic authentication).
ANYMAIL = {
    "MAILGUN_API_KEY": os.environ.get("MAILGUN_API_KEY", ""),
    "MAILGUN_SENDER_DOMAIN": os.environ.get("MAILGUN_SENDER_DOMAIN", ""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
    "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", ""),
}
# The provider's word on a message: asked after this long when no callback has brought it, for as many
# days as Notify keeps it.
DELIVERY_POLL_AFTER_SECONDS = int(os.environ.get("DELIVERY_POLL_AFTER_SECONDS", "3600"))
DELIVERY_POLL_DAYS = 7
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Better Together <hello@bettertogether.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; a broker in files under var/ for the embedded default, so that a
# worker and scheduler really run without any server installed.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The outbox: how often the dispatcher runs, the first wait after a temporary SMTP failure (it doubles
# each time), and how long a row may sit in "sending" before a dead worker's rows are tried again. The
# claim is renewed as each row's turn comes, so one send (EMAIL_TIMEOUT) must fit well inside it: a row
# left by a killed worker then goes again within STUCK_AFTER + DISPATCH_EVERY (3 minutes).
OUTBOX_DISPATCH_EVERY_SECONDS = int(os.environ.get("OUTBOX_DISPATCH_EVERY_SECONDS", "120"))
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
OUTBOX_STUCK_AFTER_SECONDS = int(os.environ.get("OUTBOX_STUCK_AFTER_SECONDS", "60"))
# A PDF job (letters, an event record) queued or being made for longer than this was lost with its
# worker: it is given up, and the next request makes it afresh (core.jobs).
PDF_JOB_STUCK_AFTER_SECONDS = int(os.environ.get("PDF_JOB_STUCK_AFTER_SECONDS", "600"))
# A change to a session people were told about waits this long before they are told, so that several
# edits in a row make one notice (each edit starts the wait again); "Tell them now" skips the wait.
CHANGE_NOTICE_WAIT_SECONDS = int(os.environ.get("CHANGE_NOTICE_WAIT_SECONDS", "600"))
CELERY_BEAT_SCHEDULE = {
    "dispatch-outbox": {
        "task": "core.dispatch_outbox",
        "schedule": OUTBOX_DISPATCH_EVERY_SECONDS,
        # A run that waited longer than the interval is dropped: the next one does the same work.
        "options": {"expires": OUTBOX_DISPATCH_EVERY_SECONDS},
    },
    "poll-delivery": {
        "task": "core.poll_delivery",
        "schedule": 15 * 60,
        "options": {"expires": 15 * 60},
    },
    # The audit log keeps AUDIT_KEEP_DAYS; older entries go once a day (core.audit.trim_log).
    "trim-audit-log": {
        "task": "core.trim_audit_log",
        "schedule": crontab(hour=3, minute=40),
        "options": {"expires": 12 * 3600},
    },
    # Issue 18: each programme's retention (records.services.retention): needs, then contact details,
    # letters and record PDFs, on their dates. Once a night; a second run the same day changes nothing.
    "apply-retention": {
        "task": "records.apply_retention",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 12 * 3600},
    },
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }

# Security. SECURE=1 in production behind HTTPS turns on HSTS, secure cookies and the HTTPS redirect.
SECURE = env_bool("SECURE")
SECURE_SSL_REDIRECT = SECURE
# The container health check calls /healthz/ over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
# Behind a reverse proxy we run: trust its X-Forwarded-Proto, and its X-Forwarded-For for the client address.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Only our own scripts, styles, pictures and fonts; no inline script or style anywhere (JavaScript and CSS
# live in static/); never framed; forms post only to us. "data:" pictures are Bootstrap's own icons (the
# arrow of a select, the check of a box). The sent-mail frame in DEBUG
# has a policy of its own (invitations.views.mailbox).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Our own pages (and the forms on them) get the full Referer and a real Origin, which Django's CSRF check
# compares; other sites get nothing, so the token in a link's address never leaves (core.tokenpages).
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Lockout (django-axes, accounts/lockout.py) on both sign-in pages: 5 failed sign-ins for one user name, or
# 20 from one client address, within 15 minutes refuse further tries for 15 minutes. The address is the
# token pages' rule (core.ratelimit.client_address, BEHIND_PROXY). An administrator unlocks in the admin
# (Axes › Access attempts) or with `manage.py axes_reset_username <name>` (README).
AXES_FAILURE_LIMIT = int(os.environ.get("LOCKOUT_USERNAME_FAILURES", "5"))
LOCKOUT_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOCKOUT_ADDRESS_FAILURES", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_tried"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
# A try while locked out does not restart the 15 minutes; a success forgets that user name's failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Keep less: no row for every successful sign-in (the failures are what the lockout needs).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Two-factor sign-in (django-otp, accounts/twofactor.py): required for administrators and facilitators
# when on (by default with SECURE=1); anyone may turn it on for themselves.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", default=SECURE)
OTP_TOTP_ISSUER = "Better Together"
# The admin's device pages show neither the app's secret key nor the recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Pages opened with a reply link: requests a minute from one client address (0 turns the limit off).
RATE_LIMIT_PER_MINUTE = int(os.environ.get("RATE_LIMIT_PER_MINUTE", "60"))
# An action lead's link works until this many days after the programme's last session.
LEAD_LINK_GRACE_DAYS = int(os.environ.get("LEAD_LINK_GRACE_DAYS", "90"))
# How often the circle page looks for words from phones, and the room screen refreshes its cloud.
WORDS_POLL_SECONDS = 5

# Privacy (the privacy notice, invitations.services.retention). Who is responsible for the data: the
# council, its contact and its data protection officer; the notice says plainly when these are not set.
PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "")
PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "")
PRIVACY_DPO = os.environ.get("PRIVACY_DPO", "")
# How long a programme keeps needs and contact details after its last session, unless it says otherwise.
RETENTION_NEEDS_DAYS = int(os.environ.get("RETENTION_NEEDS_DAYS", "30"))
RETENTION_CONTACTS_DAYS = int(os.environ.get("RETENTION_CONTACTS_DAYS", "365"))

# The audit log (core.audit): entries older than this many days are deleted daily (1 to 3650).
AUDIT_KEEP_DAYS = int(os.environ.get("AUDIT_KEEP_DAYS", "730"))

# Error reports carry no form values or local variables (core.privacy).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.privacy.NoPersonalDataFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No token from a link in any line ("Not Found: /r/<token>/").
    "filters": {"scrub_tokens": {"()": "core.privacy.ScrubTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub_tokens"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes: only failures and lockouts (its user names and addresses masked), not every sign-in.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
