"""Settings shared by every environment; everything that differs comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    REDIS_URL=(str, ""),
    EMAIL_URL=(str, "consolemail://"),
    DEFAULT_FROM_EMAIL=(str, "课后服务 <noreply@localhost>"),
    LOGIN_FAILURE_LIMIT=(int, 5),
    LOGIN_ADDRESS_FAILURE_LIMIT=(int, 30),
    TRUSTED_PROXY_COUNT=(int, 0),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "afterschool",
    "enrollment",
    "courses",
    "arrangement",
    "attendance",
    "safety",
    "surveys",
    "evaluation",
    "dashboards",
    "privacy",
]

MIDDLEWARE = [
    # First, so it compresses every page (about a fifth of the bytes on a phone). BREACH
    # (guessing a secret from compressed sizes) is limited: Django masks the CSRF token anew
    # on every response, and no other secret is echoed into pages. Static files WhiteNoise
    # serves precompressed carry Content-Encoding, which this middleware leaves alone.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "afterschool.middleware.MustChangePasswordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "afterschool.urls"
WSGI_APPLICATION = "afterschool.wsgi.application"

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
                "afterschool.context_processors.school",
            ],
        },
    },
]

# SQLite in the working tree is the embedded default; DATABASE_URL switches to PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several parents submitting at once must wait for the write lock, not fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "afterschool.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "school:home"
LOGOUT_REDIRECT_URL = "login"

# Reverse proxies of our own in front of gunicorn (nginx, Caddy, the school's gateway), each
# appending the address it saw to X-Forwarded-For. 0: the header is ignored (anyone can send it)
# and REMOTE_ADDR is the client; afterschool.params.client_ip reads it for logins and signatures.
TRUSTED_PROXY_COUNT = env("TRUSTED_PROXY_COUNT")

# Days the access log of children's sensitive details (afterschool.SensitiveAccess) is kept;
# older rows are deleted by afterschool.audit.sensitive_access_purge. 180: the Cybersecurity
# Law (art. 21) asks for network logs to be kept at least six months.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=180)

# Login rate limiting (django-axes): one count per phone number, another per client address,
# each with its own limit (afterschool/login_limits.py says why a handler of our own).
AXES_FAILURE_LIMIT = env("LOGIN_FAILURE_LIMIT")
LOGIN_ADDRESS_FAILURE_LIMIT = env("LOGIN_ADDRESS_FAILURE_LIMIT")
AXES_HANDLER = "afterschool.login_limits.LoginLimitHandler"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "afterschool.login_limits.axes_username"
AXES_CLIENT_IP_CALLABLE = "afterschool.login_limits.axes_client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")

# Redis, when configured, carries Celery and the cache. Production requires it
# (settings/production.py); local.py and test.py run tasks inline without it.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    # Sessions read from Redis and written to both: one query fewer on every signed-in
    # request, the database still the source (a cache lost or flushed costs one query, never
    # a sign-in). Sign-out and a new key delete the cached copy; a password changed elsewhere
    # still ends the other sessions, by the hash checked against the user's row each request.
    # Not without Redis: a cache per process would keep a session signed out in another one.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# No result backend: nobody reads task results (progress and outcomes are kept in the
# database), and a backend that retries its connection stalled every write for 20 s while
# Redis was down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Redelivery: a message is acknowledged only when its task ends, and a task whose pool
# process died (killed, out of memory) goes back to the queue instead of being dropped. Every
# task is safe to run twice, and the rows they work on count attempts so a task that kills
# its worker every time ends failed with a reason instead of looping.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing must never hold up or break a page: a web request gives up on an unreachable
# broker after about 2 s and the write stands; what it queued is found by the sweeps below.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0,
                                    "interval_step": 0.5, "interval_max": 0.5}
# A message not acknowledged within visibility_timeout is handed to another worker (the whole
# worker died): a little longer than the longest hard time limit, so a task still running is
# never given out twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Every periodic schedule lives here, and only here (beat runs once; see docker-compose.yml).
# tests/afterschool/test_beat.py checks that each entry names a registered task.
CELERY_BEAT_SCHEDULE = {
    # Notices whose delivery never reached the broker, or is due for a retry.
    "deliveries-sweep": {"task": "afterschool.tasks.deliveries_sweep_task", "schedule": 60.0},
    # Review decisions committed while the broker was down: tell the guardians now.
    "transitions-sweep": {"task": "enrollment.tasks.transitions_sweep_task", "schedule": 60.0},
    # Arrangement runs and roster imports: queue the never-queued, interrupt the silent.
    "arrangements-sweep": {"task": "arrangement.tasks.arrangements_sweep_task",
                           "schedule": 60.0},
    "import-jobs-sweep": {"task": "afterschool.tasks.import_jobs_sweep_task", "schedule": 60.0},
    "import-files-purge": {"task": "afterschool.tasks.import_job_files_purge_task",
                           "schedule": crontab(minute=15)},
    "sessions-clear": {"task": "afterschool.tasks.sessions_clear_task",
                       "schedule": crontab(hour=3, minute=10)},
    "login-records-clear": {"task": "afterschool.tasks.login_records_clear_task",
                            "schedule": crontab(hour=3, minute=20)},
    # Absence alerts: notify any the roll call could not queue, escalate the unanswered ones
    # (AttendancePolicy.alert_escalate_minutes) to the duty teachers and the office.
    "absence-alerts-sweep": {"task": "attendance.tasks.alerts_sweep_task", "schedule": 60.0},
    # Dismissal: children not released AttendancePolicy.dismissal_handover_minutes after their
    # last lesson pass to the duty teachers, and the office is told.
    "dismissals-sweep": {"task": "attendance.tasks.dismissals_sweep_task", "schedule": 60.0},
    # Satisfaction surveys past their deadline close (answers are refused after it anyway).
    "surveys-close": {"task": "surveys.tasks.surveys_close_due_task", "schedule": 300.0},
    # The dashboards' aggregate tables: today's rows every quarter hour (a roll call's own
    # refresh may have been lost), this month and last counted again from the records nightly.
    "dashboards-today": {"task": "dashboards.tasks.dashboards_today_task",
                         "schedule": crontab(minute="*/15")},
    "dashboards-rebuild": {"task": "dashboards.tasks.dashboards_rebuild_task",
                           "schedule": crontab(hour=2, minute=30)},
    # The monthly 公示: on the 1st at 06:00, last month's for every school (one version per
    # school and month however often it runs); requests that never reached the broker.
    "publications-monthly": {"task": "evaluation.tasks.publications_monthly_task",
                             "schedule": crontab(day_of_month=1, hour=6, minute=0)},
    "publication-jobs-sweep": {"task": "evaluation.tasks.publication_jobs_sweep_task",
                               "schedule": 300.0},
    # Personal details past each school's retention after their term ends (privacy.retention),
    # and the access log past ACCESS_LOG_RETENTION_DAYS: nightly, safe to run twice.
    "privacy-purge-expired": {"task": "privacy.tasks.purge_expired_task",
                              "schedule": crontab(hour=3, minute=40)},
}
# Login lockout rows (django-axes) and wrong activation codes are kept this many days.
LOGIN_RECORDS_RETENTION_DAYS = env.int("LOGIN_RECORDS_RETENTION_DAYS", default=30)

# ----------------------------------------------------------------------------- notifications
# In-app notices always; e-mail where the person has an address; SMS for the notices that
# matter (a decision, the arrangement, a reminder) through SMS_BACKEND: "logging" writes them
# to the log (development, tests), "aliyun" sends through Alibaba Cloud SMS (dysmsapi).
SMS_BACKEND = env("SMS_BACKEND", default="logging")
SMS_ALIYUN_ACCESS_KEY_ID = env("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_SIGN_NAME = env("SMS_ALIYUN_SIGN_NAME", default="")
# A template approved by the provider with one variable, ${title}.
SMS_ALIYUN_TEMPLATE_CODE = env("SMS_ALIYUN_TEMPLATE_CODE", default="")
SMS_ALIYUN_ENDPOINT = env("SMS_ALIYUN_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
SMS_TIMEOUT_SECONDS = env.int("SMS_TIMEOUT_SECONDS", default=10)
# A failed e-mail or SMS is tried again after 1, 5, 15, 60 minutes, then marked failed.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)

# One console handler. Django's own "django" logger would add a second console handler under
# DEBUG and print each record twice; a refused request (403, 404) is one line, no traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "afterschool.errors.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "filters": ["quiet_forbidden"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO"),
                           "propagate": False}},
}

# ------------------------------------------------------------ private files and roster imports
# Private uploads (rosters; patrol photos later) are kept outside MEDIA_ROOT, which is served
# to anyone with a file's name; no URL serves PRIVATE_MEDIA_ROOT (afterschool/storage.py).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media"))
# Hours an uploaded roster is kept after its import ends; 0 deletes it at once.
IMPORT_FILE_RETENTION_HOURS = env.int("IMPORT_FILE_RETENTION_HOURS", default=0)
# Data rows one roster file may have (a whole school is about 5,000).
ROSTER_MAX_ROWS = env.int("ROSTER_MAX_ROWS", default=20_000)
# Without a worker (no REDIS_URL) the import runs inside the upload's request: about 2 s for
# 5,000 rows. Larger files are refused there with a message to split them or start a worker.
ROSTER_INLINE_MAX_ROWS = env.int("ROSTER_INLINE_MAX_ROWS", default=5_000)
