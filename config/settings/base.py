"""Settings shared by every environment. The environment is read only through config.env."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (  # noqa: F401
    env_bool,
    env_broker,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PLN123_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "axes",
    "policy",
    "scoring",
    "whatif",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language of each request (the user's
    # choice in the language cookie, else the browser's Accept-Language, else id).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.home.home_tasks",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", BASE_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia by default; English per user (the switcher in the admin header).
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LANGUAGE_CODE = env_choice("PLN123_LANGUAGE_CODE", "id", [code for code, _name in LANGUAGES])
# The project's catalogue (compiled .mo committed, so a clone needs no gettext tools).
LOCALE_PATHS = [BASE_DIR / "locale"]
# dd/mm/yyyy and 24-hour times in both languages (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
# A year: the choice outlives a browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The site default zone of rule S1: a transcript without a zone is in this one.
TIME_ZONE = env_timezone("PLN123_TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGIN_URL = "admin:login"

# Celery. The embedded default is kombu's filesystem transport: a real broker that
# needs no server, shared by the web process and a worker on one machine.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # How long a worker sleeps when it finds no message it may take. With one
        # message in hand at a time (prefetch 1, acks late), it also finds none until
        # it has acknowledged the chunk it scored, so this is the pause between two
        # chunks: short, as an idle worker's look at the folder costs next to nothing.
        "polling_interval": env_int("PLN123_BROKER_POLL_MS", 50, minimum=10) / 1000,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {
        # Redis: a message not acknowledged within this many seconds is delivered
        # again; it must exceed the longest chunk (see README, "Scaling").
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
    }
)
# Results are never read: the batch and chunk rows are the record of the work.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "scoring"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
# The sweeper: how often it looks for chunks a dead worker or a lost message left.
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-chunks": {
        "task": "scoring.tasks.sweep_chunks",
        "schedule": float(env_int("PLN123_SWEEP_INTERVAL", 15, minimum=1)),
    },
}

# Scoring: how many transcripts one task scores (chosen by measurement, README
# "Performance"), and the lease on a chunk: the worker renews it every third of this
# while it scores, so a chunk whose lease ran out belongs to a dead worker and is taken
# back (by the sweeper, or by the next worker that finishes a chunk).
SCORING_CHUNK_SIZE = env_int("PLN123_CHUNK_SIZE", 1000, minimum=1)
SCORING_CLAIM_TIMEOUT_SECONDS = env_int("PLN123_CLAIM_TIMEOUT", 30, minimum=10)
# The longest one chunk may take, renewals or not: a chunk still running then is stuck.
SCORING_CHUNK_TIME_LIMIT_SECONDS = env_int("PLN123_CHUNK_TIME_LIMIT", 600, minimum=10)
# A chunk still pending this long after it was queued lost its message: queue it again.
SCORING_REQUEUE_AFTER_SECONDS = env_int("PLN123_REQUEUE_AFTER", 900, minimum=10)

# Uploads (issue 10): what one file may hold. Each limit is checked before the work it
# would cost: the size before the file is stored, an XLSX's unpacked size and declared
# rows before it is read, the others as the rows are read, so a file over one is
# refused at the row where it goes over.
UPLOAD_MAX_BYTES = env_int("PLN123_UPLOAD_MAX_MB", 1024, minimum=1) * 1024 * 1024
UPLOAD_MAX_ROWS = env_int("PLN123_UPLOAD_MAX_ROWS", 5_000_000, minimum=1)
UPLOAD_MAX_TRANSCRIPTS = env_int("PLN123_UPLOAD_MAX_TRANSCRIPTS", 1_000_000, minimum=1)
UPLOAD_MAX_MESSAGES = env_int("PLN123_UPLOAD_MAX_MESSAGES", 1_000, minimum=1)
UPLOAD_MAX_MESSAGE_CHARS = env_int("PLN123_UPLOAD_MAX_MESSAGE_CHARS", 20_000, minimum=1)
UPLOAD_MAX_XLSX_BYTES = env_int("PLN123_UPLOAD_MAX_XLSX_MB", 1024, minimum=1) * 1024 * 1024

# django-axes: failed logins lock an account at one client address (a few), and one
# address for every account (more: guessing many usernames, or many people behind one
# office NAT). Both counts are read by common.lockout.LockoutHandler, in this order.
AXES_FAILURE_LIMIT = env_int("PLN123_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("PLN123_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
if LOGIN_ADDRESS_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        f"Environment variable PLN123_LOGIN_ADDRESS_FAILURE_LIMIT={LOGIN_ADDRESS_FAILURE_LIMIT} must be at least "
        f"PLN123_LOGIN_FAILURE_LIMIT ({AXES_FAILURE_LIMIT})."
    )
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "common.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "common.lockout.lockout_response"
# The client's address: REMOTE_ADDR, or behind these proxies (and only behind them) the
# address they write into X-Forwarded-For. Empty: no proxy is trusted.
TRUSTED_PROXIES = env_networks("PLN123_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "common.lockout.client_ip"

# django-import-export: imports run inside one transaction; nothing half-way.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Exported cells are neutralised by the policy resources (common.spreadsheet.neutralise:
# = + - @ tab CR, and characters a file cannot hold). import-export's own formula escape
# stays off: in 4.4.3 it only strips one leading "=", and it turns every cell into text,
# so an empty date of an XLSX export becomes the word "None" and no longer imports.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Its fallback for control characters in XLSX (U+FFFD, like neutralise), should a cell
# ever reach it uncleaned; without it the export fails.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

# Simple-history: keep the request user for admin and import changes.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PLN123_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
