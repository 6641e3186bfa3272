"""One factory for every registered entity (``wenshang.web.portal.REGISTRY``): a valid, saved record
that belongs to a given township, with valid ID numbers and credit codes and the related records
it needs made on the way.

    from tests.factories import make

    loan = make(Loan, township_a)              # record number 0 of township A
    make(Loan, township_a, 3)                  # another one (``n`` keeps records apart)
    make(Village, township_a, name="新村名")    # overrides: set, checked (full_clean) and saved

Dates come from a fixed clock (``DAY`` = 2024-03-01), never today.

The factories live with their app's tests: ``tests/<app>/factories.py`` holds a dict ``FACTORIES``
({model: builder}, a builder being ``builder(township, n=0)`` → a saved record), and this module
collects every such module it finds (``tests/*/factories.py``) into ``FACTORIES``. A new entity's
factory goes into its app's module; nothing here changes. Shared helpers (the clock, ``valid_id``,
``credit_code``, ``made_by``) are in ``tests.factory_helpers``, which imports no factory module.

Most builders are the ones the view tests already had (``tests/*/test_views.py``: their helper
functions and the ``make()`` of their ``ModelViewTests`` subclasses): the factory modules only
name them per model, so there is one place per app to find "a valid X".

Records without a township (county-level catalogues, ``scope_path = None``: recruiting stations,
survey rounds …) are made all the same; the township is only used for what they hang on, if
anything.
"""
import importlib
from pathlib import Path

from tests.factory_helpers import DAY, MOMENT, credit_code, valid_id
from tests.talent.helpers import id_number
from tests.villages.factories import survey_round, survey_visit  # imported from here by tests/villages/test_views_more.py

__all__ = ["DAY", "FACTORIES", "MOMENT", "credit_code", "id_number", "make", "survey_round", "survey_visit", "valid_id"]

FACTORIES = {}  # kernel models' factories, if any, would be added here


def _collect():
    package = __name__.rpartition(".")[0]
    for path in sorted(Path(__file__).resolve().parent.glob("*/factories.py")):
        module = importlib.import_module(f"{package}.{path.parent.name}.factories")
        for model, builder in module.FACTORIES.items():
            if model in FACTORIES:
                raise RuntimeError(f"two factories for {model._meta.label} (the second in {module.__name__})")
            FACTORIES[model] = builder


_collect()


def make(model, township, n=0, **overrides):
    """Record number ``n`` of ``model`` in ``township`` (saved); ``overrides`` are set on it, checked
    with ``full_clean()`` and saved."""
    try:
        builder = FACTORIES[model]
    except KeyError:
        raise LookupError(
            f"no factory for {model._meta.label}: add one to tests/{model._meta.app_label}/factories.py"
        ) from None
    obj = builder(township, n)
    if overrides:
        for name, value in overrides.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
    return obj
