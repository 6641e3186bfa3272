"""A real Celery worker process runs a task through the configured broker (Redis in CI)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from villages.models import County, Township, Village

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def fresh_broker_pools():
    """Forget this process's broker connections, so the task is sent over a new one (an earlier
    test may have left a pool of the Celery app closed: "Acquire on closed pool")."""
    from kombu import pools

    from wenshang.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(transactional_db, tmp_path):
    fresh_broker_pools()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="wenshang.settings.test", DATABASE_URL=database_url())
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wenshang", "worker", "--pool", "solo", "--loglevel", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    connection.close()


@pytest.mark.worker
def test_a_worker_process_computes_the_figures(worker, tmp_path):
    from wenshang.tasks import compute_figures

    county = County.objects.create(code="370830", name="汶上县")
    yinsi = Township.objects.create(county=county, code="370830104", name="寅寺镇")
    nanwang = Township.objects.create(county=county, code="370830102", name="南旺镇")
    Village.objects.create(township=yinsi, code="370830104201", name="东石楼村")
    Village.objects.create(township=yinsi, code="370830104202", name="西石楼村")
    Village.objects.create(township=nanwang, code="370830102201", name="南旺村")

    started = time.monotonic()
    county_result = compute_figures.delay().get(timeout=120)
    township_result = compute_figures.delay("370830104").get(timeout=60)
    assert worker.poll() is None, "the worker process exited"
    assert county_result["villages"] == 3
    assert township_result["villages"] == 2
    assert township_result["task_force_units"] is None
    print(f"broker {settings.CELERY_BROKER_URL.split(':')[0]}, round trip {time.monotonic() - started:.1f} s")


def test_ci_uses_redis_when_configured():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: the embedded filesystem broker is in use")
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
