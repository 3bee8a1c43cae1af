"""Settings for the web benchmark: production-shaped (DEBUG off, cached templates, PostgreSQL)
without TLS, plus one bare Django view as the reference measured in the same server."""

from afterschool.settings.base import *  # noqa: F403
from afterschool.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-only-" + "x7Qp2Lw9" * 6)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.web.urls"
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
