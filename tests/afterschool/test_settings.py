"""The deployment files agree with the settings code, and the production settings are safe.

docker-compose.yml and the Dockerfile cannot be run on our machines (no Docker engine), so these
tests read them and check them against what afterschool/settings/*.py actually reads; the
production settings themselves are loaded in subprocesses, as a container would load them.
"""

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "afterschool" / "settings"
APP_SERVICES = ("web", "worker", "beat", "migrate")
PRODUCTION = "afterschool.settings.production"
# Read by the test settings only: never part of a deployment.
TEST_ONLY = {"AXES_ENABLED"}


def env_vars_read(path: Path) -> set[str]:
    """Names the settings module reads through django-environ: env("X"), env.bool("X"), …"""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == "env")
        if is_env and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
        # environ.Env(DEBUG=(bool, False), …) declares names with their defaults.
        if isinstance(func, ast.Attribute) and func.attr == "Env":
            names.update(k.arg for k in node.keywords if k.arg)
    return names


SETTINGS_VARS = set().union(*(env_vars_read(p) for p in SETTINGS_DIR.glob("*.py")
                              if p.name != "test.py"))


def env_example() -> dict[str, bool]:
    """Variables .env.example mentions, and whether each is set (True) or commented (False)."""
    found = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        text = line.strip()
        commented = text.startswith("#")
        text = text.lstrip("#").strip()
        name, eq, _ = text.partition("=")
        if eq and name.isupper() and name.replace("_", "").isalnum():
            found[name] = found.get(name, False) or not commented
    return found


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def command(service: dict) -> str:
    cmd = service["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def interpolated(value: str) -> str:
    """A compose value with ${VAR:?message} replaced by VAR's name, as a placeholder."""
    return re.sub(r"\$\{(\w+)[^}]*\}", r"\1", value)


# ------------------------------------------------------------------ compose ↔ settings


def test_settings_read_the_variables_we_document():
    # Guard the parser itself: these are certainly read.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL",
            "DEBUG"} <= SETTINGS_VARS


def test_every_variable_the_settings_read_is_in_env_example():
    documented = env_example()
    assert SETTINGS_VARS - TEST_ONLY <= documented.keys(), \
        f"missing in .env.example: {sorted(SETTINGS_VARS - TEST_ONLY - documented.keys())}"


def test_readme_documents_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in SETTINGS_VARS | TEST_ONLY if f"`{name}`" not in readme)
    assert not missing, f"missing in README.md: {missing}"


def test_env_example_holds_nothing_the_settings_or_compose_ignore(compose):
    compose_text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in env_example():
        assert name in SETTINGS_VARS or f"${{{name}" in compose_text, name


def test_env_example_sets_what_production_cannot_do_without():
    documented = env_example()
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD"):
        assert documented.get(name) is True, f"{name} must be set, not commented out"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_the_production_settings_with_env_file(compose, name):
    service = compose["services"][name]
    env = service["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION
    env_file = service["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)
    assert service["image"] == compose["services"]["web"]["image"]
    assert service.get("build") == compose["services"]["web"].get("build") == "."
    # Whatever compose passes is something the settings read (or which settings to use).
    assert set(env) - {"DJANGO_SETTINGS_MODULE"} <= SETTINGS_VARS, set(env) - SETTINGS_VARS


@pytest.mark.parametrize("name", APP_SERVICES)
def test_database_url_points_at_the_compose_postgres(compose, name):
    db = compose["services"]["db"]
    url = interpolated(compose["services"][name]["environment"]["DATABASE_URL"])
    config = environ.Env.db_url_config(url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    parts = urlsplit(url)
    assert parts.hostname == "db" and parts.port == 5432
    assert config["NAME"] == db["environment"]["POSTGRES_DB"]
    assert config["USER"] == db["environment"]["POSTGRES_USER"]
    assert config["PASSWORD"] == interpolated(db["environment"]["POSTGRES_PASSWORD"]) \
        == "POSTGRES_PASSWORD"
    assert db["image"].split(":")[1].startswith("15")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_redis_url_points_at_the_compose_redis(compose, name):
    url = compose["services"][name]["environment"]["REDIS_URL"]
    parts = urlsplit(url)
    assert parts.scheme == "redis" and parts.hostname == "redis" and parts.port == 6379
    assert compose["services"]["redis"]["image"].split(":")[1].startswith("7")


def test_each_process_runs_what_it_should(compose):
    services = compose["services"]
    assert command(services["web"]).startswith("gunicorn afterschool.wsgi")
    assert "--bind 0.0.0.0:8000" in command(services["web"])
    assert command(services["worker"]).startswith("celery -A afterschool worker")
    assert command(services["beat"]).startswith("celery -A afterschool beat")
    assert command(services["migrate"]) == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"


def test_processes_start_in_order(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"


def test_db_redis_and_web_have_health_checks(compose):
    for name in ("db", "redis", "web"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_web_health_check_passes_the_host_check_and_ssl_redirect(compose):
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "ALLOWED_HOSTS" in probe and "X-Forwarded-Proto" in probe
    # The production settings trust exactly that header from the proxy.
    assert "HTTP_X_FORWARDED_PROTO" in (SETTINGS_DIR / "production.py").read_text()


def test_uploads_are_shared_by_web_and_worker(compose):
    default = environ.Env().path("MEDIA_ROOT", default=str(settings.BASE_DIR / "media"))
    media_root = Path("/app") / os.path.relpath(str(default), settings.BASE_DIR)
    for name in ("web", "worker"):
        volumes = compose["services"][name]["volumes"]
        assert f"media:{media_root}" in volumes, (name, volumes)


def test_dockerfile_builds_one_production_image():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert [line for line in lines if line.startswith("FROM ")] == ["FROM python:3.11-slim"]
    assert "RUN pip install -r requirements.txt" in lines
    assert f"DJANGO_SETTINGS_MODULE={PRODUCTION}" in text
    assert "collectstatic --noinput" in text
    # The build-time key is for the collectstatic step only, never the image's environment.
    env_block = text[text.index("ENV "):text.index("WORKDIR")]
    assert "SECRET_KEY" not in env_block
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "EXPOSE 8000" in lines


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", ".git", "db.sqlite3", "media", "staticfiles"):
        assert entry in ignored, entry


# ------------------------------------------------------------------ production settings


def production_env(**env) -> dict[str, str]:
    """This process's environment as a container would have it, with the production settings.

    Dropped: what a deployment does not set (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which
    check --deploy rightly warns about) and what each test sets itself.
    """
    dropped = {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG", "ALLOWED_HOSTS",
               "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    # Compose always sets REDIS_URL; loading the settings connects to nothing.
    environment.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    environment.update(DJANGO_SETTINGS_MODULE=PRODUCTION, PYTHONPATH=str(ROOT), **env)
    return environment


def run_production(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(**env),
                          capture_output=True, text=True, timeout=120)


SETUP = "import django; django.setup()"
REFUSAL = "生产环境必须设置 SECRET_KEY"


def strong_secret() -> str:
    return secrets.token_urlsafe(64)[:50]


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env may supply SECRET_KEY")
def test_production_refuses_to_start_without_a_secret_key():
    result = run_production(SETUP)
    assert result.returncode != 0
    assert REFUSAL in result.stderr


@pytest.mark.parametrize("secret", ["", "too-short-0123456789"])
def test_production_refuses_an_empty_or_short_secret_key(secret):
    # Set explicitly: an empty value also keeps a local .env from filling it in.
    result = run_production(SETUP, SECRET_KEY=secret)
    assert result.returncode != 0
    assert REFUSAL in result.stderr


def test_production_starts_with_a_strong_secret_and_is_not_debug():
    result = run_production(
        SETUP + "; from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.STORAGES['staticfiles']['BACKEND'])",
        SECRET_KEY=strong_secret(), DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "True", "whitenoise.storage.CompressedManifestStaticFilesStorage"]


def test_production_refuses_to_start_without_redis():
    """No broker would mean every task, the solver included, inside a gunicorn request."""
    # Set explicitly to empty: that also keeps a local .env from filling it in.
    result = run_production(SETUP, SECRET_KEY=strong_secret(), REDIS_URL="")
    assert result.returncode != 0
    assert "生产环境必须设置 REDIS_URL" in result.stderr


def test_production_queues_tasks_and_never_runs_them_inline():
    result = run_production(
        SETUP + "; from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
        SECRET_KEY=strong_secret(), REDIS_URL="redis://redis:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "redis://redis:6379/0"]


@pytest.mark.parametrize(("module", "redis_url", "eager"), [
    ("afterschool.settings.local", "", "True"),  # make demo: no Redis, no worker
    ("afterschool.settings.local", "redis://127.0.0.1:6379/0", "False"),
    ("afterschool.settings.base", "", "False"),  # eager is the local and test settings' choice
])
def test_only_local_and_test_settings_run_tasks_inline(module, redis_url, eager):
    result = subprocess.run(
        [sys.executable, "-c", SETUP + "; from django.conf import settings as s; "
                               "print(getattr(s, 'CELERY_TASK_ALWAYS_EAGER', False))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**production_env(REDIS_URL=redis_url, SECRET_KEY="x" * 50),
             "DJANGO_SETTINGS_MODULE": module})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [eager]


def test_the_image_build_gives_collectstatic_a_broker_it_never_uses():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    run = text[text.index("RUN SECRET_KEY="):text.index("collectstatic")]
    assert "REDIS_URL=" in run


def test_check_deploy_is_clean():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=production_env(SECRET_KEY=strong_secret(), ALLOWED_HOSTS="kehou.example.edu.cn"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


COLLECT_AND_SERVE = """
import sys, django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
with override_settings(STATIC_ROOT=sys.argv[1]):
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client(HTTP_HOST="kehou.example.edu.cn", HTTP_X_FORWARDED_PROTO="https")
    page = client.get("/login/")
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    start = html.index("/static/css/site.")
    css = html[start:html.index('"', start)]
    assert css != "/static/css/site.css", "the stylesheet's name is not hashed"
    static = client.get(css)
    assert static.status_code == 200, (css, static.status_code)
    print("served", css)
"""


def test_docker_build_collectstatic_and_whitenoise_serve_hashed_files(tmp_path):
    """What the Dockerfile's collectstatic step does, then a page and its CSS as gunicorn would."""
    result = subprocess.run(
        [sys.executable, "-c", COLLECT_AND_SERVE, str(tmp_path / "static")], cwd=ROOT,
        capture_output=True, text=True, timeout=300,
        # Behind compose's proxy, whose X-Forwarded-Proto is believed (TRUSTED_PROXY_COUNT=1).
        env=production_env(SECRET_KEY=strong_secret(), ALLOWED_HOSTS="kehou.example.edu.cn",
                           TRUSTED_PROXY_COUNT="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "served /static/css/site." in result.stdout


# ------------------------------------------------------------------ secret key, proxy, ports


def env_example_value(name: str) -> str:
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}="):
            return line.partition("=")[2]
    raise AssertionError(name)


@pytest.mark.parametrize("secret", [
    "x" * 64,                                                     # long, one character
    "ab" * 40,                                                    # long, two characters
    "0123456789" * 6,                                             # ten kinds of characters
    "abcdefghijklmnopqrstuvwxyz0123456789" * 2,                   # one piece, twice
    # Fixed random-looking strings (not drawn at collection: pytest-xdist's workers must agree).
    "change-me-" + "Hq7Zp2xK_vR9mT4wLb8nC1dF6gJ3sY0uE5aN",         # a placeholder, lengthened
    "django-insecure-" + "p4Wc9Lz_Tq2Vn8Rk6Mx1By7Hd3Js5Gf0Ua",     # startproject's kind
    "kP3vT9qZ_wR7mX2nB8cL4dF6gH1jS5yE0aUo",                        # random but 36 characters
])
def test_production_refuses_a_secret_key_with_little_entropy(secret):
    result = run_production(SETUP, SECRET_KEY=secret)
    assert result.returncode != 0
    assert REFUSAL in result.stderr


def test_production_refuses_the_env_example_placeholder():
    result = run_production(SETUP, SECRET_KEY=env_example_value("SECRET_KEY"))
    assert result.returncode != 0
    assert REFUSAL in result.stderr


def test_production_accepts_a_generated_key():
    for _ in range(5):
        result = run_production(SETUP, SECRET_KEY=secrets.token_urlsafe(50))
        assert result.returncode == 0, result.stderr


SHOW_PROXY = (SETUP + "; from django.conf import settings as s; "
              "print(s.TRUSTED_PROXY_COUNT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))")


def test_production_ignores_x_forwarded_proto_without_a_trusted_proxy():
    result = run_production(SHOW_PROXY, SECRET_KEY=strong_secret())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "None"]


def test_production_trusts_x_forwarded_proto_from_a_trusted_proxy():
    result = run_production(SHOW_PROXY, SECRET_KEY=strong_secret(), TRUSTED_PROXY_COUNT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=1) == ["1", "('HTTP_X_FORWARDED_PROTO', 'https')"]


def test_gunicorn_is_published_on_the_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_trusts_exactly_one_proxy_unless_told(compose, name):
    value = compose["services"][name]["environment"]["TRUSTED_PROXY_COUNT"]
    assert value == "${TRUSTED_PROXY_COUNT:-1}"


def test_web_health_check_is_python_that_does_not_follow_redirects(compose):
    probe = compose["services"]["web"]["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"]
    compile(probe[3], "healthcheck", "exec")
    assert "urlopen" not in probe[3]  # it would follow a redirect to https and fail


def test_the_image_build_uses_a_random_throwaway_key():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    run = text[text.index("RUN SECRET_KEY="):text.index("collectstatic")]
    assert "secrets.token_urlsafe" in run
    assert not re.search(r"SECRET_KEY=[\w-]{20,}", text), "a fixed key in the Dockerfile"
