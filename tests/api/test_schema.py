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
    # the title names a generated client's package (ASCII); the description says it in Chinese
    assert schema["info"]["title"].isascii() and CJK.search(schema["info"]["description"])
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


# -- what a code generator needs (issue 16) ------------------------------------------------------
def refs(node):
    """Every component a schema node refers to, however deep."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def test_tags_and_operation_ids_are_fit_for_code(schema):
    """Module and function names of a generated client: ASCII identifiers; the Chinese is in the
    tags' descriptions and the operations' summaries."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", operation["operationId"]), operation["operationId"]
            assert all(re.fullmatch(r"[a-z][a-z0-9-]*", tag) for tag in operation["tags"]), operation["tags"]
    described = {t["name"]: t["description"] for t in schema["tags"]}
    assert described["finance"] == "金融、宅基地与土地" and all(CJK.search(d) for d in described.values())


def test_one_enum_per_choice_set_and_no_inline_enum_in_parameters(schema):
    components = schema["components"]["schemas"]
    sets = [(frozenset(v for v in c["enum"] if v not in ("", None)), c.get("description")) for c in components.values()
            if "enum" in c]
    assert len(sets) == len(set(sets))  # no choice set (values and their meanings) twice under two names
    assert not [name for name in components if re.search(r"[0-9A-F][0-9a-f]{2}Enum$", name)]  # no name made up from a hash
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                spec = parameter["schema"]
                assert "enum" not in spec and "enum" not in spec.get("items", {}) and "title" not in spec, parameter
                if parameter["name"] == "ordering":  # "-id" makes no enum member's name: a pattern
                    assert re.fullmatch(spec["pattern"], "-id") and not re.fullmatch(spec["pattern"], "-nothing")
                if parameter["name"] == "page_size":
                    assert (spec["minimum"], spec["maximum"]) == (1, 1000)


def test_responses_mark_every_field_required_and_blank_choices_allowed(schema):
    """A record comes whole: in every component a response uses, every field is required (a
    generated model has no ``X | Unset`` for a field that is always there) — but the error's
    optional parts. A blank choice (a village's first tier change has no tier before it) is
    allowed where the model allows it."""
    components = schema["components"]["schemas"]
    used = set().union(*(refs(op["responses"]) for ops in schema["paths"].values() for op in ops.values()))
    while True:
        more = set().union(*(refs(components[n]) for n in used)) - used
        if not more:
            break
        used |= more
    for name in used - {"Error"}:
        component = components[name]
        if component.get("type") == "object" and "properties" in component:
            assert set(component.get("required", [])) == set(component["properties"]), name
    assert set(components["Error"]["required"]) == {"status", "code", "message"}
    assert components["ItemError"]["properties"]["index"]["type"] == "integer"
    from_tier = components["TierChange"]["properties"]["from_tier"]
    assert {"#/components/schemas/BlankEnum", "#/components/schemas/TierEnum"} == {s["$ref"] for s in from_tier["oneOf"]}


def test_numbers_masked_and_locked_fields_are_what_the_server_does(schema):
    components = schema["components"]["schemas"]
    amount = components["LoanRequest"]["properties"]["amount"]
    assert re.fullmatch(amount["pattern"], "80000.00") and not re.fullmatch(amount["pattern"], "-1.00")
    value = components["Figure"]["properties"]["value"]  # a count is an integer, an amount a number
    assert value["anyOf"] == [{"type": "integer"}, {"type": "number"}] and value["nullable"] is True
    for name in ("Loan", "LoanRequest"):
        assert components[name]["properties"]["borrower_id_number"]["x-masked"] is True
    assert "tier" in components["VillageRequest"]["properties"]  # a new village has a tier
    assert "tier" not in components["VillageUpdateRequest"]["properties"]  # a village's tier changes by a tier change
    assert "tier" not in components["PatchedVillageUpdateRequest"]["properties"]
    assert not {"village", "date", "to_tier"} & set(components["TierChangeUpdateRequest"]["properties"])
    put = schema["paths"]["/api/v1/villages/villages/{id}/"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert put["$ref"].endswith("/VillageUpdateRequest")


def test_creates_and_bulk_batches_take_an_idempotency_key(schema):
    for path, operations in schema["paths"].items():
        post = operations.get("post")
        if post is None or not path.startswith(("/api/v1/finance/", "/api/v1/villages/")) or "{id}" in path:
            continue
        header = [p for p in post.get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in header] == ["Idempotency-Key"] and not header[0].get("required"), path
        assert "409" in post["responses"], path
