"""The checklist of a registered entity ("Adding a model" in README.md): every entity of
``wenshang.web.portal.REGISTRY`` has all of its pieces, and this test names the one that is missing.

For each entity: its pages (list, add, detail, edit, delete URLs resolve), a FilterSet and a form
class of its model, an admin registration, a REST endpoint answering the county administrator,
an import spec that is its own where it is importable (``wenshang.imports.SPECS``), search
entries where the search registry names the model (``wenshang.web.search.KINDS``), the reusable view
tests (a ``ModelViewTests`` subclass with its config in a collected test module), a factory
(in ``tests/<app>/factories.py``, collected by ``tests.factories``) whose record is valid and in its
township's scope, and Chinese names.
"""
import ast
import importlib
import re
from functools import lru_cache
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.contrib import admin
from django.urls import resolve, reverse
from django.utils import translation

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from tests.factories import FACTORIES, make
from tests.viewtests import ModelViewTests
from wenshang import imports
from wenshang.web import search
from wenshang.web.portal import REGISTRY

PLURALS = sorted(REGISTRY)
ACTIONS = ("list", "add", "detail", "edit", "delete")
TESTS = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def view_test_configs():
    """{config: "module.Class"} of every ``ModelViewTests`` subclass that pytest collects (a
    ``Test…`` class of a ``test_*.py`` module under tests/). Only the modules that name a
    ``config`` are imported."""
    for path in sorted(TESTS.rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if any(isinstance(node, ast.ClassDef) and node.bases and "config = " in ast.get_source_segment(text, node)
               for node in tree.body):
            importlib.import_module(".".join(path.relative_to(TESTS.parent).with_suffix("").parts))
    found = {}
    stack = [ModelViewTests]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        module = cls.__module__.rsplit(".", 1)[-1]
        if cls.__name__.startswith("Test") and module.startswith("test_") and cls.config is not None:
            found.setdefault(cls.config, f"{cls.__module__}.{cls.__name__}")
    return found


# -- without the database ---------------------------------------------------------------------
@pytest.mark.parametrize("plural", PLURALS)
def test_pages(plural):
    cfg = REGISTRY[plural]
    for action in ACTIONS:
        url = reverse(cfg.url_name(action), args=[1] if action in ("detail", "edit", "delete") else [])
        assert resolve(url).url_name == f"{cfg.model._meta.model_name}_{action}", url
    assert cfg.columns, f"{plural}: no list columns"
    assert cfg.chain, f"{plural}: no navigation chain"


@pytest.mark.parametrize("plural", PLURALS)
def test_filterset(plural):
    cfg = REGISTRY[plural]
    assert cfg.filterset_class is not None, f"{plural}: no filterset_class (the app's filters.py)"
    assert issubclass(cfg.filterset_class, django_filters.FilterSet)
    assert cfg.filterset_class._meta.model is cfg.model, f"{plural}: the filterset is of another model"


@pytest.mark.parametrize("plural", PLURALS)
def test_form(plural):
    cfg = REGISTRY[plural]
    form_class = cfg.get_form_class()
    assert issubclass(form_class, forms.ModelForm), f"{plural}: no model form"
    assert form_class._meta.model is cfg.model, f"{plural}: the form is of another model"


@pytest.mark.parametrize("plural", PLURALS)
def test_admin(plural):
    model = REGISTRY[plural].model
    assert model in admin.site._registry, f"{model._meta.label} is not registered in the admin (the app's admin.py)"


@pytest.mark.parametrize("plural", [plural for plural in PLURALS if plural in imports.SPECS])
def test_import_spec_where_importable(plural):
    spec = imports.SPECS[plural]
    assert spec.model is REGISTRY[plural].model, f"{plural}: the import spec is of another model"
    assert imports.get_spec(plural) is not None
    assert reverse("imports:upload", args=[plural])


def test_every_import_spec_and_search_kind_is_a_registered_entity():
    models = {cfg.model for cfg in REGISTRY.values()}
    assert set(imports.SPECS) <= set(REGISTRY), set(imports.SPECS) - set(REGISTRY)
    assert {search.model_of(kind) for kind in search.KINDS} <= models


@pytest.mark.parametrize("plural", PLURALS)
def test_view_tests(plural):
    if REGISTRY[plural] not in view_test_configs():
        pytest.fail(f"{plural}: no ModelViewTests subclass with config = {REGISTRY[plural].__name__} in a tests/**/test_*.py")


@pytest.mark.parametrize("plural", PLURALS)
def test_factory(plural):
    model = REGISTRY[plural].model
    assert model in FACTORIES, f"{model._meta.label}: no factory in tests/{model._meta.app_label}/factories.py"


@pytest.mark.parametrize("plural", PLURALS)
def test_translated_names(plural):
    meta = REGISTRY[plural].model._meta
    with translation.override("zh-hans"):
        names = [str(meta.verbose_name), str(meta.verbose_name_plural)]
    assert all(CJK.search(name) for name in names), f"{meta.label}: not translated into Chinese: {names}"
    with translation.override("en"):
        names = [str(meta.verbose_name), str(meta.verbose_name_plural)]
    assert not any(CJK.search(name) for name in names), f"{meta.label}: Chinese in the English names: {names}"


# -- with the database ------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("plural", PLURALS)
def test_api_endpoint(client, admin_user, township_a, plural):
    cfg = REGISTRY[plural]
    obj = make(cfg.model, township_a)
    client.force_login(admin_user)
    url = f"/api/v1/{cfg.app()}/{cfg.plural}/"
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    assert client.get(f"{url}{obj.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("plural", PLURALS)
def test_factory_makes_a_valid_record_in_its_township(factory, plural, township_a, township_b, staff_a, staff_b):
    model = REGISTRY[plural].model
    obj = factory(model, township_a)
    assert obj.pk is not None
    obj.full_clean()
    assert model.objects.restrict(staff_a, "view").filter(pk=obj.pk).exists(), f"{model._meta.label}: not in township A"
    seen_by_b = model.objects.restrict(staff_b, "view").filter(pk=obj.pk).exists()
    if model.scope_path:
        assert not seen_by_b, f"{model._meta.label}: township B staff see township A's record"
    else:  # a county-level catalogue: every township reads it
        assert seen_by_b
    again = factory(model, township_a, 1)  # a second record of the same township
    again.full_clean()
    assert again.pk != obj.pk


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(search.KINDS))
def test_search_finds_the_searched_models_records_in_scope(kind, township_a, staff_a, staff_b):
    model = search.model_of(kind)
    obj = make(model, township_a)
    found = {entry.object_id for group in search.search(staff_a, obj.name) for entry in group["entries"] if group["kind"] == kind}
    assert obj.pk in found, f"{kind}: {obj.name} not found"
    hidden = {entry.object_id for group in search.search(staff_b, obj.name) for entry in group["entries"] if group["kind"] == kind}
    assert obj.pk not in hidden


@pytest.mark.django_db
def test_factory_overrides_are_checked_and_saved(township_a):
    from django.core.exceptions import ValidationError

    from villages.models import CollectiveIncome, Village
    from wenshang.kernel.models import ObjectChange

    assert Village.objects.get(pk=make(Village, township_a, 7, name="改名村").pk).name == "改名村"
    with pytest.raises(ValidationError):
        make(CollectiveIncome, township_a, operating=10**9)  # more than the total: refused, not saved
    with pytest.raises(LookupError):
        make(ObjectChange, township_a)  # not an entity: no factory
