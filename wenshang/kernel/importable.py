"""How an app declares what can be imported: the declaration vocabulary of the spreadsheet import.

Each app lists its importable entities in ``<app>/imports.py`` (found by ``wenshang.imports``
the way the admin finds ``admin.py``), with only this module and its own models::

    from wenshang.kernel.importable import Field, ImportSpec, Ref, register

    register(
        ImportSpec("collective-incomes", CollectiveIncome, key=("village", "year"), columns=[
            Ref("village", "村代码", "code"),
            Field("year", "年度"),
            Field("amount", "集体收入（元）"),
        ], examples={"village": "370830104201", "year": "2024", "amount": "560000"}),
    )

* ``Field(name, header=None)``: a model field, one column; the header defaults to the field's
  Chinese verbose name, the way a cell is read follows the field (choice, date, number …).
* ``Ref(name, headers, lookups)``: a foreign key given by natural key, one or more columns
  matched to ``lookups`` on the related model (a column may be shared with another reference).
* ``ManyToMany(name, header, lookup)``: a many-to-many field, a list of natural keys in one column.
* ``ImportSpec(plural, model, key, columns, examples=…)``: the entity (its URL plural), its
  natural key (field names), the columns in template order and the template's example row,
  keyed by field name (a reference of several columns: ``name__lookup``) so that a changed
  translation of a header keeps its example. ``checks`` are called as ``check(importer, rows)``
  after the rows are checked, ``after_write(importer, creates, updates)`` after they are written.
* ``public(*models)``: records anyone may name in a file whatever their scope (the geography).

This module imports no app and none of the import engine: apps import it freely. It lives
beside the engine's package (``wenshang.imports``) rather than in it, since importing any module
of a package runs the package's ``__init__`` first, and that one loads the whole engine.
"""
from wenshang.kernel.validators import credit_check_char, id_check_char

REGISTRY = {}  # URL plural → ImportSpec, in the order the apps registered them
PUBLIC = set()  # models whose records any user may reference by natural key


class Field:
    """A plain model field: one column. ``header`` defaults to the field's Chinese verbose name."""

    def __init__(self, name, header=None, *, required=None, kind=None, help=""):
        self.name, self.header, self.required, self.kind, self.help = name, header, required, kind, help

    def __repr__(self):
        return f"Field({self.name!r})"


class Ref:
    """A foreign key given by natural key: one or more columns, matched to ``lookups`` on the
    related model (a column may be shared with another foreign key, e.g. the township code).
    ``public`` (default: the related model is ``public``) skips the user's scope when looking up;
    ``select`` names relations loaded with the referenced records."""

    def __init__(self, name, headers, lookups, *, required=None, help="", select=(), public=None):
        self.name = name
        self.headers = [headers] if isinstance(headers, str) else list(headers)
        self.lookups = [lookups] if isinstance(lookups, str) else list(lookups)
        self.required, self.help, self.select, self.public = required, help, tuple(select), public

    def example_key(self, lookup):
        """The key of a column's example: the field's name, ``name__lookup`` for several columns."""
        return self.name if len(self.lookups) == 1 else f"{self.name}__{lookup}"

    def __repr__(self):
        return f"Ref({self.name!r})"


class ManyToMany:
    """A many-to-many field given as a list of natural keys in one column."""

    def __init__(self, name, header, lookup, *, help=""):
        self.name, self.header, self.lookup, self.help = name, header, lookup, help

    def __repr__(self):
        return f"ManyToMany({self.name!r})"


class ImportSpec:
    """An importable entity as an app declares it: its model, natural key, columns and rules."""

    def __init__(self, plural, model, key, columns, *, examples, derived=(), notes="", frozen=None, checks=(),
                 after_write=None, key_help=""):
        self.plural = plural
        self.model = model
        self.key = tuple(key)
        self.columns = list(columns)
        self.examples = dict(examples)
        self.derived = tuple(derived)
        self.notes = notes
        self.frozen = frozen or {}
        self.checks = tuple(checks)
        self.after_write = after_write
        self.key_help = key_help

    def __repr__(self):
        return f"<ImportSpec {self.plural}>"


def register(*specs):
    """Make these entities importable (their URL plurals must be new)."""
    for spec in specs:
        if spec.plural in REGISTRY and REGISTRY[spec.plural] is not spec:
            raise ValueError(f"two import specs named {spec.plural}")
        REGISTRY[spec.plural] = spec
    return specs


def public(*models):
    """Records of these models may be named by anyone in a file (the county's geography)."""
    PUBLIC.update(models)
    return models


def id_number_example(first17):
    """A valid national ID number from its first 17 characters (for template examples)."""
    return first17 + id_check_char(first17)


def credit_code_example(first17):
    """A valid unified social credit code from its first 17 characters (for template examples)."""
    return first17 + credit_check_char(first17)
