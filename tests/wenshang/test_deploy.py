"""Production settings: secrets required, `check --deploy` clean, static files served by gunicorn."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "x7$k2!production-test-secret-key-that-is-long-enough-0123456789abcdefgh",
    "ALLOWED_HOSTS": "portal.wenshang.test,127.0.0.1",
    "DATABASE_URL": "sqlite:////tmp/wenshang-deploy-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/13",  # a shared cache is required; `check` does not connect
}


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and k not in ("SENTRY_DSN", "ADMINS", "LOG_FORMAT")}
    env.update(DJANGO_SETTINGS_MODULE="wenshang.settings.production", **SECRETS)
    env.update(extra)
    return env


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = production_env()
    del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.worker  # real gunicorn processes, like the Celery worker tests: not in make test-fast
def test_gunicorn_serves_pages_and_static_files(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"), SECURE_SSL_REDIRECT="false",
                         DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert manage("collectstatic", "--noinput", "-v0", env=env).returncode == 0
    assert manage("migrate", "--noinput", "-v0", env=env).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wenshang.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/admin/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        page = urllib.request.urlopen(f"{base}/admin/login/", timeout=5)
        assert page.status == 200
        assert "汶上县" in page.read().decode()
        css = urllib.request.urlopen(f"{base}/static/admin/css/base.css", timeout=5)
        assert css.status == 200 and "text/css" in css.headers["Content-Type"]
        assert "max-age" in css.headers.get("Cache-Control", "") or css.headers.get("ETag")
    finally:
        server.terminate()
        server.wait(timeout=20)
