"""User text never becomes a formula in a spreadsheet or CSV file the portal writes (OWASP "CSV
Injection"): exports of every list, the survey report's workbook and the import templates.

Every text field of every entity that has reusable view tests (``tests.viewtests.ModelViewTests``)
is written with each dangerous prefix, exported as CSV and XLSX and read back; every list's writer
is also fed a row of dangerous text in every column."""
import csv
import importlib
import io
from decimal import Decimal

import pytest
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

from tests.reports import fixtures as report_fixtures
from tests.viewtests import ModelViewTests
from wenshang import imports
from wenshang.exports import views as exports
from wenshang.kernel.spreadsheets import csv_value, formula_like
from wenshang.web.portal import REGISTRY

pytestmark = pytest.mark.django_db
survey = report_fixtures.survey  # the surveyed county of the report tests

PREFIXES = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", " =", "\u3000="]
PAYLOADS = [p + 'HYPERLINK("http://evil.example/","点此")' for p in PREFIXES] + ["=1+1", "-2+3", "@SUM(A1)", "+cmd|' /C calc'!A0"]

TEST_MODULES = [
    "tests.villages.test_views", "tests.villages.test_tier", "tests.alliances.test_views", "tests.grids.test_views",
    "tests.finance.test_views", "tests.talent.test_views", "tests.dashboard.test_targets",
]


def _view_test_classes():
    for name in TEST_MODULES:
        importlib.import_module(name)
    found, todo = {}, list(ModelViewTests.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.config is not None and cls.__name__.startswith("Test"):
            found[cls.config.plural] = cls
    return [found[k] for k in sorted(found)]


VIEW_TESTS = _view_test_classes()


def _text_fields(model):
    """Free-text columns (no choices), which a user types."""
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices and not f.primary_key]


def _csv_cells(content):
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_csv_inert(content):
    cells = _csv_cells(content)
    assert cells
    for cell in cells:
        assert not formula_like(cell), repr(cell)


def _xlsx_cells(content):
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield cell


def _assert_xlsx_inert(content):
    seen = 0
    for cell in _xlsx_cells(content):
        seen += 1
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if formula_like(cell.value):
            assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)
    assert seen


def test_the_one_test_of_dangerous_text():
    for payload in PAYLOADS:
        assert formula_like(payload), payload
        assert csv_value(payload) == "'" + payload
    for safe in ("东石楼村", "13812345678", "370830199001011234", "a=b", "", "3-2"):
        assert not formula_like(safe) and csv_value(safe) == safe
    # Numbers stay numbers, whatever their sign.
    assert csv_value(-5) == -5 and csv_value(Decimal("-1.50")) == Decimal("-1.50")


@pytest.mark.parametrize("plural", sorted(REGISTRY))
def test_every_list_writer_makes_every_column_inert(plural, client, admin_user, monkeypatch):
    """Each list's CSV and XLSX writer, fed a row of dangerous text in every column and the numbers
    a column may hold, writes the text inert and the numbers as numbers."""
    cfg = REGISTRY[plural]
    client.force_login(admin_user)

    def rows(self):
        width = len(self.headers())
        for payload in PAYLOADS:
            yield [payload] * width
        yield [-3] * width

    monkeypatch.setattr(exports.Export, "rows", rows)
    response = client.get(reverse("export_csv", args=[cfg.plural]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    _assert_csv_inert_except_numbers(content)
    response = client.get(reverse("export_xlsx", args=[cfg.plural]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    _assert_xlsx_inert(content)
    numbers = [cell.value for cell in _xlsx_cells(content) if isinstance(cell.value, int)]
    assert numbers and set(numbers) == {-3}


def _assert_csv_inert_except_numbers(content):
    for cell in _csv_cells(content):
        assert not formula_like(cell) or cell == "-3", repr(cell)


@pytest.mark.parametrize("view_tests", VIEW_TESTS, ids=lambda cls: cls.config.plural)
def test_every_text_field_of_every_entity_is_exported_inert(view_tests, client, admin_user, township_a):
    """A record of the entity whose every free-text field holds dangerous text, once per prefix."""
    cfg = view_tests.config
    obj = view_tests().make(township_a)
    model = type(obj)
    fields = _text_fields(model)
    client.force_login(admin_user)
    for payload in PAYLOADS:
        values = {f.attname: payload[: f.max_length] if f.max_length else payload for f in fields}
        model._base_manager.filter(pk=obj.pk).update(**values)
        response = client.get(reverse("export_csv", args=[cfg.plural]))
        assert response.status_code == 200
        _assert_csv_inert(b"".join(response.streaming_content))
        response = client.get(reverse("export_xlsx", args=[cfg.plural]))
        assert response.status_code == 200
        _assert_xlsx_inert(b"".join(response.streaming_content))


def test_the_xlsx_keeps_the_text_as_typed(client, admin_user, village_a):
    """Inert does not mean altered: the spreadsheet shows exactly what the clerk typed."""
    from villages.models import Village

    Village.objects.filter(pk=village_a.pk).update(name='=HYPERLINK("http://evil.example/","点此")')
    client.force_login(admin_user)
    content = b"".join(client.get(reverse("export_xlsx", args=["villages"])).streaming_content)
    names = [c for c in _xlsx_cells(content) if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [c.value for c in names] == ['=HYPERLINK("http://evil.example/","点此")']
    assert names[0].quotePrefix and names[0].data_type == "s"


@pytest.mark.parametrize("entity", sorted(imports.SPECS))
def test_import_templates_hold_no_formula(entity):
    _assert_xlsx_inert(imports.template_xlsx(entity))


def test_the_survey_reports_workbook_writes_user_text_inert(survey, tmp_path):
    """Every free-text field the report shows (problem descriptions, units, analyses, village and
    township names, leaders, tier-change reasons …) with each dangerous prefix."""
    from villages.models import SurveyAssignment, SurveyProblem, SurveyVisit, TierChange, Township, Village
    from wenshang.reports import data, xlsx

    for payload in ("=1+1", '=HYPERLINK("http://evil.example/","点此")', "-2+3", "+1", "@SUM(A1)", "\t=1", "＝1+1"):
        for model in (SurveyProblem, SurveyVisit, SurveyAssignment, TierChange, Village, Township):
            fields = [f for f in _text_fields(model) if f.name != "code"]
            for pk in model._base_manager.values_list("pk", flat=True):  # names are unique: each its own
                text = f"{payload}{pk}"
                model._base_manager.filter(pk=pk).update(**{f.attname: text[: f.max_length] for f in fields})
        report = data.collect(data.subject_from_key("county"), 2024, 2)
        path = tmp_path / "r.xlsx"
        xlsx.build(report, path)
        content = path.read_bytes()
        _assert_xlsx_inert(content)
        assert any(c.value.startswith(payload) for c in _xlsx_cells(content) if isinstance(c.value, str)), payload
