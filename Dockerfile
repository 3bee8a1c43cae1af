# One image for every process of the service: web (gunicorn), Celery worker, Celery beat and
# the one-shot migrate step. docker-compose.yml says which command each one runs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=afterschool.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected (hashed and compressed for WhiteNoise) at build time. The
# production settings refuse to load without a strong secret, so this one step gets a random
# key that dies with it (not in the image's environment nor in a layer); the real SECRET_KEY
# comes from .env at run time. They also refuse to load without REDIS_URL: collecting
# static files connects to nothing, so this step names a broker it never uses; compose sets
# the real one.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    REDIS_URL=redis://unused-at-build:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/media /app/private_media \
 && chown app:app /app/media /app/private_media

# Public uploads, and private ones (rosters); compose mounts volumes shared by web and worker.
VOLUME ["/app/media", "/app/private_media"]
USER app
EXPOSE 8000

CMD ["gunicorn", "afterschool.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
