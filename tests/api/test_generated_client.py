"""The API as a code generator sees it (issue 16): ``openapi-python-client`` on its default
configuration generates a client from the schema without a warning, the client installs, and an
integrator's script written only against it (``client_script.py``) runs: lists, a walk of every
parcel by cursor against the figure, bulk batches good and bad, a loan created, read, sent back as
read (its masked values unchanged), changed and deleted, bad requests. Any body the schema does not
describe fails to parse and fails the test.

The client calls the portal in-process (httpx's WSGI transport), in the test's transaction."""
import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

from finance.models import Homestead, Loan
from tests.factories import make
from villages.models import TierChange, Village

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated client's package, installed into a folder of its own (the module)."""
    out = tmp_path_factory.mktemp("client")
    call_command("spectacular", "--file", str(out / "schema.yaml"), "--validate", "--fail-on-warn")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hooks
    made = subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(out / "schema.yaml")],
                          cwd=out, env=env, capture_output=True, text=True, timeout=300)
    said = made.stdout + made.stderr
    assert made.returncode == 0 and "warning" not in said.lower() and "error" not in said.lower(), said
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["wenshang-portal-api-client"], said
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
                    "--target", str(out / "site"), str(out / "wenshang-portal-api-client")], check=True, timeout=300)
    sys.path.insert(0, str(out / "site"))
    try:
        yield importlib.import_module("wenshang_portal_api_client")
    finally:
        sys.path.remove(str(out / "site"))


@pytest.mark.django_db
def test_an_integrators_script_runs_through_the_generated_client(generated, make_token, township_a, township_b, village_a,
                                                                 village_b, wsgi_keeps_connections):
    for n in range(3):
        make(Homestead, township_a, n)
    TierChange.objects.create(village=village_a, date="2021-01-01", from_tier="", to_tier="foundation", reason="试点起步",
                              decided_by="县委组织部")
    TierChange.objects.create(village=village_a, date="2023-12-31", from_tier="foundation", to_tier="excellence",
                              reason="年度评定", decided_by="县委组织部")
    token = make_token("省平台", read_only=False)
    script = importlib.import_module("tests.api.client_script")
    client = generated.AuthenticatedClient(base_url="http://testserver", token=token.key, raise_on_unexpected_status=True,
                                           httpx_args={"transport": httpx.WSGITransport(app=get_wsgi_application())})
    done = script.run(client, township_a.code)
    assert done["villages"] == Village.objects.filter(township=township_a).count() and done["tier_changes"] == 2 and done["blank_from_tier"] == 1
    assert done["bulk_created"] == script.BULK and done["parcels"] == Homestead.objects.count() == script.BULK + 3
    assert not Loan.objects.exists()  # created once (its retry replayed), changed and deleted
