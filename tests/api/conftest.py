"""API fixtures: tokens of every kind and a client that sends one.

    token = make_token(township=township_a, read_only=False)   # → ApiToken, with .key
    api = api_client(token)                                     # rest_framework's APIClient
    api.get("/api/v1/villages/villages/")
"""
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    def make(token=None):
        client = APIClient()
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        return client

    return make


@pytest.fixture
def token_a(make_token, township_a):
    """Read-write, township A."""
    return make_token("寅寺镇系统", township=township_a, read_only=False)


@pytest.fixture
def token_b(make_token, township_b):
    return make_token("南旺镇系统", township=township_b, read_only=False)


@pytest.fixture
def county_token(make_token, county):
    """Read-write, whole county."""
    return make_token("全县系统", read_only=False)


@pytest.fixture
def reader_token(make_token, county):
    return make_token("省平台", read_only=True)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """Throttle counts live in the cache: each test starts from none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def wsgi_keeps_connections():
    """The portal called in-process through its WSGI handler (schemathesis, a generated client's httpx
    transport) within the test's transaction: Django's test client does the same, as closing the
    connection at the end of a request would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
