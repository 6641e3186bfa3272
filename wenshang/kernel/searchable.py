"""How an app declares what the global search finds: the declaration vocabulary of ``wenshang.web.search``.

Each app lists its searched models in ``<app>/search.py`` (found by ``wenshang.web.search`` the way
the admin finds ``admin.py``), with only this module and its own models::

    from wenshang.kernel.searchable import Searchable, register

    register(Searchable("village", Village, order=10, code="code"))

* ``kind``: the name of the results group (``SearchEntry.kind``, the results page's order by
  ``order``);
* ``code``: the field indexed as the record's code, searched by its beginning (never a national
  ID number), or None;
* ``detail``: a short hint shown under the name, a field or a path through one relation
  (``"village__name"``: the entry follows a rename of the village).

Every searched model has ``name`` and ``township`` fields. This module imports no app and none of
the search engine: apps import it freely.
"""

REGISTRY = {}  # kind → Searchable, in the order the apps registered them


class Searchable:
    """A model the global search finds, as one kind of result."""

    def __init__(self, kind, model, *, order, code=None, detail=None):
        self.kind = kind
        self.model = model
        self.order = order
        self.code = code
        self.detail = detail
        self.detail_path = tuple(detail.split("__")) if detail else ()

    @property
    def label(self):
        return self.model._meta.label

    def __repr__(self):
        return f"<Searchable {self.kind}: {self.label}>"


def register(*entries):
    """Make these models found by the global search (their kinds must be new)."""
    for entry in entries:
        if entry.kind in REGISTRY and REGISTRY[entry.kind] is not entry:
            raise ValueError(f"two searched kinds named {entry.kind}")
        REGISTRY[entry.kind] = entry
    return entries
