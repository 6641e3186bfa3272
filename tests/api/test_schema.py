"""The documentation: an OpenAPI 3 schema with Chinese descriptions of every endpoint and field,
and Swagger UI served from the portal's own files (the county intranet has no internet)."""
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from wenshang.web.portal import REGISTRY

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert CJK.search(schema["info"]["title"]) and CJK.search(schema["info"]["description"])
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_every_entity_has_its_endpoints(schema):
    paths = schema["paths"]
    for config in REGISTRY.values():
        base = f"/api/v1/{config.app()}/{config.plural}/"
        assert {"get", "post"} <= set(paths[base]), base
        assert {"get", "delete"} <= set(paths[base + "{id}/"]), base
        if config.api_bulk:
            assert "post" in paths[base + "bulk/"]
        else:
            assert base + "bulk/" not in paths, base
    assert "get" in paths["/api/v1/figures/"]


def test_every_operation_and_field_is_described_in_chinese(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert CJK.search(operation.get("summary", "")), (method, path)
            assert CJK.search(operation.get("description", "")), (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            text = spec.get("description", "") + spec.get("title", "")
            assert text and (CJK.search(text) or field in ("id", "status", "code", "chain")), (name, field)


def test_the_error_format_is_documented(schema):
    error = schema["components"]["schemas"]["Error"]
    assert {"status", "code", "message"} <= set(error["required"])


def test_swagger_ui_is_served_from_local_files(client):
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert scripts and all(not s.startswith(("http://", "https://", "//")) for s in scripts), scripts
    assert "/static/vendor/swagger-ui-5.33.1/swagger-ui-bundle.js" in page
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js", "LICENSE"):
        assert finders.find(f"vendor/swagger-ui-5.33.1/{name}"), name
    assert "cdn" not in page.lower()
