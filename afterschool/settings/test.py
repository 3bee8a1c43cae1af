"""Settings for the test suite: fast hashing, inline Celery unless a test starts a worker."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Inline even with REDIS_URL (CI sets it): nothing queued waits for a worker that is not
# there; tests/afterschool/test_celery_worker.py starts a real one and turns this off.
CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# seed_demo takes the demo's roll calls for the last week only (the suite seeds many times).
DEMO_ROLL_CALL_DAYS = 7
