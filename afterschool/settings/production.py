"""Production: everything from the environment; refuses to start without a strong secret key."""

import re

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REDIS_URL, SECRET_KEY, TRUSTED_PROXY_COUNT, env

# Words of the examples and templates people copy instead of generating a key.
PLACEHOLDERS = ("change-me", "changeme", "change_me", "placeholder", "not-secret", "notsecret",
                "insecure", "example", "secret-key", "secretkey", "请替换", "随机字符串")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions and password-reset links, or None.

    A generated key (``secrets.token_urlsafe(50)``: 67 characters of 64 kinds) passes easily;
    what fails is short, made of few characters, a placeholder, or one piece repeated.
    """
    if len(key) < 50:
        return "少于 50 个字符"
    if len(set(key)) < 20:
        return "不同的字符少于 20 种"
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDERS):
        return "是示例或占位的值"
    if re.search(r"(.{8}).*\1", key, re.DOTALL):
        return "有重复的片段"
    return None


_problem = secret_key_problem(SECRET_KEY)
if _problem:
    raise ImproperlyConfigured(
        f"生产环境必须设置 SECRET_KEY：当前的值{_problem if SECRET_KEY else '为空'}。"
        "请用 python3 -c \"import secrets; print(secrets.token_urlsafe(50))\" 生成一个随机值。")

# Without a broker every task (an arrangement's solver: up to minutes) would run inside a
# gunicorn request; production queues them for the worker, never inline.
if not REDIS_URL:
    raise ImproperlyConfigured(
        "生产环境必须设置 REDIS_URL（如 redis://redis:6379/0）：后台任务（统筹安排计算、名册导入、"
        "通知）由 Celery worker 通过 Redis 执行，不能在网页请求中运行。")
CELERY_TASK_ALWAYS_EAGER = False

DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# X-Forwarded-Proto says "this came over HTTPS" only when our own proxy wrote it: with no
# trusted proxy, anyone reaching gunicorn could send it.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
