"""Local development and the demo: SQLite unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import REDIS_URL, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret")
# `make demo` needs no Redis and no worker: without REDIS_URL tasks run inside the request.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
