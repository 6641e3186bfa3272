"""The schema against the demo county's data (issue 16): every GET of the API — each list's first
page of up to 1,000 records, a record of each, the figures, the change feed, the quarter close — is
validated by schemathesis' response conformance check on data with the shapes real data has (blank
choices: 346 tier changes have no tier before them; empty optional fields; masked numbers; the
closed quarters). The fuzzing run (``test_schemathesis``) works on one record of each kind, which
has none of these."""
import httpx
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from villages.models import Township

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def test_every_answer_on_the_demo_county_conforms_to_the_schema(demo_county, make_token, wsgi_keeps_connections):
    token = make_token("省平台", read_only=True, personal_data=False)
    township = Township.objects.order_by("code").first()
    checked, violations = [], []
    with httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://testserver",
                      headers={"Authorization": f"Bearer {token.key}"}) as http:

        def check(operation, url, **params):
            response = http.get(url, params=params)
            assert response.status_code == 200, (url, response.text[:300])
            try:
                operation.validate_response(response)
            except Exception as exc:  # noqa: BLE001 - every violation is listed at the end
                violations.append(f"{url}: {str(exc)[:600]}")
            checked.append(url)
            return response.json()

        gets = {op.path: op for op in (result.ok() for result in schema.get_all_operations()) if op.method.upper() == "GET"}
        for path, operation in sorted(gets.items()):
            if "{" in path:
                continue
            body = check(operation, path, page_size=1000) if path not in ("/api/v1/figures/", "/api/v1/todos/") else \
                check(operation, path)
            detail = gets.get(path + "{id}/")
            if detail is not None and body.get("results"):
                check(detail, f"{path}{body['results'][0]['id']}/")
        check(gets["/api/v1/figures/"], "/api/v1/figures/", township=township.code)
        check(gets["/api/v1/closing/quarters/{township}/{period}/"], f"/api/v1/closing/quarters/{township.code}/2024Q1/")
    assert len(checked) > 100 and violations == [], "\n".join(violations)
