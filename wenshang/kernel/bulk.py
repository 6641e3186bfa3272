"""Fast bulk writes for trusted rows: the demo county, spreadsheet imports and the change log of
bulk paths.

``bulk_create`` spends most of its time preparing each value of each row through the ORM;
for 199,900 parcels and their change-log entries that is tens of seconds. Here each column gets
one converter, rows go to the driver in pages (``executemany`` on SQLite, a streamed ``COPY`` on
PostgreSQL: the database parses one part while Python prepares the next, and values are escaped
only when they hold something to escape), and primary keys are assigned up front
(``fast_insert``, ``reserve_ids``), so the caller knows them without a RETURNING round trip.
``update_rows`` writes changed values of many records at once (``UPDATE … FROM`` a COPY-filled
temporary table on PostgreSQL). Only for rows that are already valid.

``inserted`` is sent after each ``insert_rows`` (sender: the model; ``columns``, ``rows`` as given,
``using``): ``wenshang.kernel.audit`` hears the change-log rows written in bulk through it.
"""
import json
import re
import time

from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.dispatch import Signal
from django.utils import timezone

from wenshang.kernel import pipeline

inserted = Signal()  # sender=model, columns=[attname], rows=[tuple], using=alias: after insert_rows()


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
    text = value if value.__class__ is str else str(value)
    # str.translate is slow on Chinese text (10 s for the change log of 199,900 parcels): escape
    # only the rare values that need it.
    return text.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


class _CopyStream:
    """A file-like object handing COPY text to psycopg2 as it is made, so that PostgreSQL (another
    process) parses and indexes one part while Python prepares the next."""

    def __init__(self, rows):
        self.lines = ("\t".join(map(_copy_text, row)) + "\n" for row in rows)

    def read(self, size=-1):
        chunk = []
        length = 0
        for line in self.lines:
            chunk.append(line)
            length += len(line)
            if length >= 65536:
                break
        return "".join(chunk)

    readline = read


def copy_rows(cursor, sql, rows):
    """Run ``COPY … FROM STDIN`` (PostgreSQL) with ``rows`` (tuples of values as COPY text takes them)."""
    connection = cursor.db
    pipeline.drain(connection)  # the statements queued before it (a COPY bypasses the connection's wrappers)
    started = time.monotonic()
    cursor.cursor.copy_expert(sql, _CopyStream(rows), size=65536)
    if connection.queries_logged:  # counted with the others (assertNumQueries, the benchmarks)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def insert_rows(model, columns, rows, page_size=2000, using=None):
    """INSERT ``rows`` (tuples of Python values in ``columns`` order, by attname) into ``model``'s table."""
    if not rows:
        return 0
    connection = connections[using or router.db_for_write(model)]
    given = rows
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
            copy_rows(cursor, f"COPY {table} ({cols}) FROM STDIN", rows)
        else:
            marks = ", ".join(["%s"] * len(fields))
            for start in range(0, len(rows), page_size):
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows[start : start + page_size])
    inserted.send(sender=model, columns=list(columns), rows=given, using=connection.alias)
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


def reserve_ids(model, count, using=None):
    """``count`` new primary keys: from the sequence on PostgreSQL (safe beside other writers),
    after the largest id elsewhere (SQLite writes one transaction at a time)."""
    connection = connections[using or router.db_for_write(model)]
    opts = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(opts.pk.column)}) FROM {connection.ops.quote_name(opts.db_table)}")
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))


def update_rows(model, columns, objs, using=None, now=None):
    """Write the values of ``columns`` (attnames) of the saved instances ``objs`` (by their pk),
    and the current time (``now``) into their ``auto_now`` fields: ``UPDATE … FROM`` a COPY-filled
    temporary table on PostgreSQL, ``executemany`` elsewhere."""
    if not objs:
        return 0
    opts = model._meta
    connection = connections[using or router.db_for_write(model)]
    fields = [next(f for f in opts.concrete_fields if f.attname == a) for a in columns]
    stamp = [f for f in opts.concrete_fields if getattr(f, "auto_now", False)]
    now = now or timezone.now()
    qn = connection.ops.quote_name
    table = qn(opts.db_table)
    pk = qn(opts.pk.column)
    stamp_sql = "".join(f", {qn(f.column)} = %s" for f in stamp)
    stamp_params = [connection.ops.adapt_datetimefield_value(now)] * len(stamp)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY text: the values as they are
            values = [[obj.__dict__.get(a) for a in columns] + [obj.pk] for obj in objs]
            temp = qn(f"import_{opts.db_table}"[:60])
            cols = ", ".join(f"{qn(f.column)} {f.db_type(connection)}" for f in fields)
            cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({cols}, import_pk bigint) ON COMMIT DROP")
            copy_rows(cursor, f"COPY {temp} FROM STDIN", values)
            sets = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields)
            cursor.execute(f"UPDATE {table} SET {sets}{stamp_sql} FROM {temp} s WHERE {table}.{pk} = s.import_pk", stamp_params)
            cursor.execute(f"DROP TABLE {temp}")
        else:
            sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
            sql = f"UPDATE {table} SET {sets}{stamp_sql} WHERE {pk} = %s"
            params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + stamp_params + [obj.pk]
                      for obj in objs]
            for start in range(0, len(params), 2000):
                cursor.executemany(sql, params[start : start + 2000])
    return len(objs)
