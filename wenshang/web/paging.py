"""Pages of the big lists (parcels, households, credit records …) by keyset, and their size as an
estimate: a list of 2 million rows costs the same on its first page and 1,000 pages deep.

A numbered page (``?page=4000``) makes the database read and throw away every row before it
(``OFFSET 199950``), and "共 1,999,000 条 / 第 1 页，共 39,980 页" needs an exact ``COUNT(*)`` over the
whole table on every page. A big list (``ModelViews.big``) instead:

- orders by the list's ordering (the column sorted on, or the model's ``Meta.ordering``, a related
  record's column by that record's own ordering, as ``order_by`` does) and the primary key last, so
  that every row has one place (``ordering_keys``);
- links to the next and the previous page with a *cursor*, the sort keys of the page's last (or
  first) row: the next page is ``WHERE (keys) > (the last row's keys) ORDER BY keys LIMIT 51`` — an
  index range, whatever the depth. A link to the first page stays; the last page has none;
- says how many rows there are (``estimate``): exactly when they are few (a count that stops at
  ``EXACT_LIMIT`` + 1 rows), otherwise PostgreSQL's own estimate (``pg_class.reltuples`` for the
  whole table, the planner's row estimate for a filtered list): "约 199,900 条". SQLite has no
  estimate to give: "超过 10,000 条".

NULL sorts as the largest value on both databases (``NULLS LAST`` ascending, ``NULLS FIRST``
descending: PostgreSQL's own order, so its indexes serve it). A cursor names the ordering it was
made for; one that does not fit the page asked for (edited by hand, another sort) gives the first
page.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DatabaseError, connections
from django.db.models import F, Q

EXACT_LIMIT = 10_000  # counted exactly up to here; beyond, an estimate
MAX_DEPTH = 3  # a related record's ordering followed at most this deep (village → township → county)


@dataclass(frozen=True)
class Key:
    """One column of a keyset ordering: the lookup path, descending or not, whether it can be NULL
    (a nullable field, or a field of a record reached through a nullable relation)."""

    path: str
    desc: bool
    nullable: bool
    field: object

    def order(self, reverse=False):
        desc = self.desc != reverse
        expression = F(self.path)
        if not self.nullable:
            return expression.desc() if desc else expression.asc()
        return expression.desc(nulls_first=True) if desc else expression.asc(nulls_last=True)  # NULL is largest

    def after(self, value, reverse=False):
        """Rows strictly after ``value`` in this column's order (reversed: strictly before), as a Q,
        or None when no row can be."""
        desc = self.desc != reverse
        if value is None:  # NULL is the largest value
            return Q(**{f"{self.path}__isnull": False}) if desc else None
        condition = Q(**{f"{self.path}__{'lt' if desc else 'gt'}": value})
        if self.nullable and not desc:
            condition |= Q(**{f"{self.path}__isnull": True})
        return condition

    def equal(self, value):
        return Q(**{f"{self.path}__isnull": True}) if value is None else Q(**{self.path: value})

    def encode(self, value):
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)  # Decimal, UUID

    def decode(self, raw):
        return None if raw is None else self.field.to_python(raw)


def _walk(model, path):
    """The fields along ``path`` (``grid__village`` → [Household.grid, Grid.village])."""
    fields = []
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        fields.append(field)
        if field.is_relation:
            model = field.related_model
    return fields


def _expand(model, name, desc=False, prefix="", nullable=False, depth=0):
    """``order_by(name)`` as concrete columns: a relation stands for its record's ``Meta.ordering``
    (its primary key when it has none), as Django orders by it."""
    if name.startswith("-"):
        desc, name = not desc, name[1:]
    name = name.lstrip("+")
    fields = _walk(model, name)
    last = fields[-1]
    nullable = nullable or any(getattr(f, "null", False) for f in fields)
    path = prefix + ("__".join(name.split("__")[:-1] + [last.name]) if name != "pk" else last.name)
    if last.is_relation and (last.many_to_one or last.one_to_one) and last.concrete:
        related = last.related_model
        ordering = [o for o in (related._meta.ordering or []) if isinstance(o, str)] if depth < MAX_DEPTH else []
        if not ordering:
            return [Key(f"{path}__{related._meta.pk.name}", desc, nullable, related._meta.pk)]
        out = []
        for item in ordering:
            out += _expand(related, item, desc, f"{path}__", nullable, depth + 1)
        return out
    return [Key(path, desc, nullable, last)]


def ordering_keys(model, ordering):
    """The keyset of an ordering (``["-date"]``, ``["grid", "-credit_points"]``): its columns, then
    the primary key unless a unique column of the model's own already makes every row's place
    (``parcel_code``). Raises ValueError for an ordering it cannot follow (an expression, ``?``)."""
    keys, seen = [], set()
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            raise ValueError(f"cannot page {model.__name__} by keyset on {item!r}")
        try:
            expanded = _expand(model, item)
        except FieldDoesNotExist as exc:
            raise ValueError(str(exc)) from None
        for key in expanded:
            if key.path not in seen:
                seen.add(key.path)
                keys.append(key)
    pk = model._meta.pk
    unique = [k for k in keys if "__" not in k.path and (k.field.unique or k.field.primary_key) and not k.nullable]
    if unique:
        return keys[: keys.index(unique[0]) + 1]
    return [*keys, Key(pk.name, False, False, pk)]


def after_condition(keys, values, reverse=False):
    """The rows after (reversed: before) the row whose keys are ``values``: S1 | E1 & S2 | E1 & E2 & S3 …,
    with the first column's bound repeated on its own (``a >= x``) so that an index range serves it."""
    condition, equal = None, Q()
    for key, value in zip(keys, values):
        strict = key.after(value, reverse)
        if strict is not None:
            term = equal & strict
            condition = term if condition is None else condition | term
        equal &= key.equal(value)
    if condition is None:
        return Q(pk__in=[])
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        desc = first.desc != reverse
        condition = Q(**{f"{first.path}__{'lte' if desc else 'gte'}": value}) & condition
    return condition


# -- the size of a list ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Total:
    """How many rows a list has: ``value`` exactly (``exact``), about ``value`` (an estimate), or more
    than ``value`` (``more_than``: no estimate to be had)."""

    value: int
    exact: bool = True
    more_than: bool = False


def _unfiltered(queryset):
    query = queryset.query
    return not query.where.children and not query.distinct and not query.combinator


def table_estimate(queryset):
    """The database's own estimate of the rows of the queryset's table, or None (a table never
    analysed): PostgreSQL's ``pg_class.reltuples`` (kept by ANALYZE and autovacuum), SQLite's
    ``sqlite_stat1`` (kept by ANALYZE, when it was run)."""
    connection = connections[queryset.db]
    table = queryset.model._meta.db_table
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
                row = cursor.fetchone()
                return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
            if connection.vendor == "sqlite":
                cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
                row = cursor.fetchone()
                return int(row[0].split()[0]) if row and row[0] else None
    except (DatabaseError, ValueError):  # no statistics table (SQLite before its first ANALYZE)
        return None
    return None


def planner_estimate(queryset):
    """The planner's estimate of the rows of a (filtered) queryset, or None (not PostgreSQL)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
    except DatabaseError:
        return None
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(n):
    return int(round(n, -2)) if n >= 1000 else n


def estimate(queryset, limit=None):
    """The rows of ``queryset``: counted exactly up to ``limit`` (a count that reads at most
    ``limit`` + 1 rows), beyond that estimated. On PostgreSQL the whole of a big table is never
    counted (its statistics say how big it is), nor a filtered list the planner expects to be
    beyond ``limit``; SQLite, with no estimate, says "more than ``limit``"."""
    limit = EXACT_LIMIT if limit is None else limit
    planned = None
    if _unfiltered(queryset):
        known = table_estimate(queryset)
        if known is not None and known > limit:
            return Total(_rounded(known), exact=False)
    else:
        planned = planner_estimate(queryset)
        if planned is not None and planned > limit:
            return Total(_rounded(planned), exact=False)
    n = queryset.order_by()[: limit + 1].count()
    if n <= limit:
        return Total(n)
    if planned is None:
        planned = planner_estimate(queryset)
    if planned is None or planned <= limit:
        return Total(limit, exact=False, more_than=True)
    return Total(_rounded(planned), exact=False)


# -- pages ---------------------------------------------------------------------------------------------
class KeysetPaginator:
    """Pages of ``queryset`` in the order ``ordering`` (``order_by``'s names), ``per_page`` rows each.
    Like Django's ``Paginator`` it has ``object_list`` (the whole list) and ``count`` (exact: asked
    only by code that wants it, never by the page)."""

    def __init__(self, queryset, per_page, ordering, signature=""):
        self.object_list = queryset
        self.per_page = per_page
        self.keys = ordering_keys(queryset.model, ordering)
        self.signature = signature  # what the cursors are made for (the sort asked for)

    @cached_property
    def count(self):
        return self.object_list.count()

    def total(self):
        return estimate(self.object_list)

    # cursors: the keys of a row, the direction and the page's number, as URL-safe base64 JSON
    def cursor(self, values, direction, number):
        data = {"s": self.signature, "d": direction, "n": number, "k": [k.encode(v) for k, v in zip(self.keys, values)]}
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read_cursor(self, text):
        """(values, direction, number), or None for a cursor that does not fit this list."""
        if not text or len(text) > 2000:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if data["s"] != self.signature or data["d"] not in ("n", "p") or len(data["k"]) != len(self.keys):
                return None
            number = int(data["n"])
            values = [k.decode(raw) for k, raw in zip(self.keys, data["k"])]
        except (binascii.Error, ValueError, TypeError, KeyError, ValidationError, UnicodeDecodeError, AttributeError):
            return None
        return values, data["d"], max(number, 1)

    def _annotated(self):
        """The queryset with the keys that are not the model's own columns as annotations."""
        extra = {f"keyset_{i}": F(k.path) for i, k in enumerate(self.keys) if "__" in k.path}
        return self.object_list.annotate(**extra) if extra else self.object_list

    def values_of(self, obj):
        """The keys of a row of the page (annotated by ``_annotated``; another row's are followed
        along their relations)."""
        out = []
        for i, k in enumerate(self.keys):
            if "__" not in k.path:
                out.append(getattr(obj, k.field.attname))
            elif hasattr(obj, f"keyset_{i}"):
                out.append(getattr(obj, f"keyset_{i}"))
            else:
                value = obj
                for part in k.path.split("__"):
                    value = getattr(value, part, None) if value is not None else None
                out.append(value)
        return out

    def page(self, cursor_text=None):
        read = self.read_cursor(cursor_text)
        qs = self._annotated()
        if read is None:
            rows = list(qs.order_by(*(k.order() for k in self.keys))[: self.per_page + 1])
            more = len(rows) > self.per_page
            return KeysetPage(self, rows[: self.per_page], 1, has_next=more, has_previous=False)
        values, direction, number = read
        backwards = direction == "p"
        qs = qs.filter(after_condition(self.keys, values, reverse=backwards))
        rows = list(qs.order_by(*(k.order(reverse=backwards) for k in self.keys))[: self.per_page + 1])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if backwards:
            rows.reverse()
            return KeysetPage(self, rows, number if more else 1, has_next=True, has_previous=more)
        return KeysetPage(self, rows, number, has_next=more, has_previous=True)


class KeysetPage:
    """One page of a ``KeysetPaginator``: its rows, its number (counted along the links followed),
    and the cursors of the pages before and after it."""

    keyset = True

    def __init__(self, paginator, rows, number, has_next, has_previous):
        self.paginator = paginator
        self.object_list = rows
        self.number = number
        self._next, self._previous = has_next and bool(rows), has_previous and bool(rows)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_next(self):
        return self._next

    def has_previous(self):
        return self._previous

    def has_other_pages(self):
        return self._next or self._previous or self.number > 1

    @cached_property
    def next_cursor(self):
        if not self._next:
            return ""
        return self.paginator.cursor(self.paginator.values_of(self.object_list[-1]), "n", self.number + 1)

    @cached_property
    def previous_cursor(self):
        if not self._previous:
            return ""
        return self.paginator.cursor(self.paginator.values_of(self.object_list[0]), "p", self.number - 1)
