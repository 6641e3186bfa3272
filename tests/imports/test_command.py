"""``manage.py import_data <entity> <file> --user <username> [--dry-run]``."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from finance.models import Homestead
from wenshang.kernel.models import ObjectChange

from .conftest import HOMESTEAD_HEADERS, parcel_row, table, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_a_valid_file_is_written(tmp_path, staff_a, village_a):
    path = write_xlsx(tmp_path / "parcels.xlsx", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in (1, 2)]))
    out, _ = run("homesteads", str(path), user="staff_a")
    assert Homestead.objects.count() == 2
    assert "2" in out
    entries = ObjectChange.objects.filter(content_type__model="homestead")
    assert set(entries.values_list("user__username", "source")) == {("staff_a", "import:parcels.xlsx")}
    out, _ = run("homesteads", str(path), user="staff_a")
    assert Homestead.objects.count() == 2 and entries.count() == 2


def test_a_file_with_problems_prints_them_and_writes_nothing(tmp_path, staff_a, village_a, village_b):
    rows = [parcel_row(village_a.code, 1), parcel_row(village_b.code, 2), parcel_row(village_a.code, 1)]
    path = write_csv(tmp_path / "parcels.csv", table(HOMESTEAD_HEADERS, rows), encoding="gbk")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_data", "homesteads", str(path), user="staff_a", stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert "3" in lines[0] and "A" in lines[0] and "村代码" in lines[0] and "南旺村" in lines[0] and "南旺镇" not in lines[0]
    assert "4" in lines[1] and "宗地代码" in lines[1]
    assert "2" in str(exc.value)
    assert Homestead.objects.count() == 0


def test_a_file_that_is_not_a_spreadsheet(tmp_path, staff_a):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(100))
    with pytest.raises(CommandError):
        run("homesteads", str(path), user="staff_a")
    assert Homestead.objects.count() == 0


def database_url():
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_exit_status_is_not_zero(tmp_path, staff_a, village_a, village_b):
    """As a shell sees it: a file with a problem exits 1 and writes nothing; a good file exits 0."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="wenshang.settings.test", DATABASE_URL=database_url())
    bad = write_csv(tmp_path / "bad.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1), parcel_row(village_b.code, 2)]))
    done = subprocess.run([sys.executable, "manage.py", "import_data", "homesteads", str(bad), "--user", "staff_a"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "村代码" in done.stderr and "南旺村" in done.stderr
    assert Homestead.objects.count() == 0
    good = write_csv(tmp_path / "good.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)]))
    done = subprocess.run([sys.executable, "manage.py", "import_data", "homesteads", str(good), "--user", "staff_a", "--dry-run"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Homestead.objects.count() == 0
    done = subprocess.run([sys.executable, "manage.py", "import_data", "homesteads", str(good), "--user", "staff_a"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Homestead.objects.count() == 1


def test_a_dry_run_writes_nothing(tmp_path, staff_a, village_a):
    path = write_csv(tmp_path / "parcels.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)]))
    out, _ = run("homesteads", str(path), user="staff_a", dry_run=True)
    assert Homestead.objects.count() == 0
    assert "1" in out


def test_wrong_arguments(tmp_path, staff_a, official, village_a):
    path = write_csv(tmp_path / "parcels.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)]))
    with pytest.raises(CommandError, match="unicorns"):
        run("unicorns", str(path), user="staff_a")
    with pytest.raises(CommandError, match="nobody"):
        run("homesteads", str(path), user="nobody")
    with pytest.raises(CommandError):
        run("homesteads", str(path), user=official.username)
    with pytest.raises(CommandError):
        run("homesteads", str(tmp_path / "missing.csv"), user="staff_a")
    assert Homestead.objects.count() == 0
