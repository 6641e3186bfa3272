"""Fast bulk inserts for trusted rows: the demo county and the change log of bulk paths.

``bulk_create`` spends most of its time preparing each value of each row through the ORM;
for 199,900 parcels and their change-log entries that is tens of seconds. Here each column gets
one converter, rows go to the driver in pages (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), and primary keys are assigned up front (``fast_insert``), so the caller knows them
without a RETURNING round trip. Only for rows that are already valid, written by one process
(the demo is built on an empty database inside one transaction).
"""
import io
import json
import re

from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.utils import timezone


def _converter(field, connection):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v, cls=DjangoJSONEncoder, ensure_ascii=False)
    return None


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    # str.translate is slow on Chinese text: escape only the rare values that need it.
    return text.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def insert_rows(model, columns, rows, page_size=2000):
    """INSERT ``rows`` (tuples of Python values in ``columns`` order, by attname) into ``model``'s table."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields = [next(f for f in model._meta.concrete_fields if f.attname == c or f.name == c) for c in columns]
    converters = [_converter(f, connection) for f in fields]
    if any(converters):
        rows = [
            tuple(v if conv is None or v is None else conv(v) for v, conv in zip(row, converters)) for row in rows
        ]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), 50_000):
                buffer = io.StringIO()
                buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows[start : start + 50_000])
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(fields))
            for start in range(0, len(rows), page_size):
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows[start : start + page_size])
    return len(rows)


def fast_insert(model, objs):
    """Insert unsaved instances of ``model``, giving them primary keys; returns ``objs``.

    Foreign keys may point at instances saved earlier (their ids are read from the cached
    objects, as ``bulk_create`` does). ``auto_now``/``auto_now_add`` fields get the current time.
    """
    if not objs:
        return objs
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    pk = opts.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({connection.ops.quote_name(pk.column)}) FROM {connection.ops.quote_name(opts.db_table)}"
        )
        next_id = (cursor.fetchone()[0] or 0) + 1
    now = timezone.now()
    fks = [f for f in opts.concrete_fields if f.is_relation]
    stamped = [f for f in opts.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for i, obj in enumerate(objs):
        obj.pk = next_id + i
        for f in fks:
            if obj.__dict__.get(f.attname) is None and f.is_cached(obj):
                related = f.get_cached_value(obj)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{model.__name__}.{f.name} points at an unsaved {type(related).__name__}")
                    obj.__dict__[f.attname] = related.pk
        for f in stamped:
            obj.__dict__[f.attname] = now
        obj._state.adding = False
        obj._state.db = connection.alias
    fields = list(opts.concrete_fields)
    columns = [f.attname for f in fields]
    insert_rows(model, columns, [tuple(obj.__dict__.get(c) for c in columns) for obj in objs])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
    return objs
