"""Statements nobody waits on (a change-log row, the figures' writes), sent with the next statement
on the same connection: one round trip instead of two. PostgreSQL runs the statements of one string
in order, each seeing the ones before, and answers with the last one's rows.

Only inside ``pipelined(using)`` (a record's save, ``save_scoped``): ``send()`` queues a statement
there, and executes it at once anywhere else. Whatever is still queued when the block ends is sent
then, so nothing waits past the block (a commit never finds a statement unsent); a block left by an
exception drops its queue with the work it belonged to. The next statement carries the queue if it
is a plain ``execute`` with positional parameters; before anything else (``executemany``, a named
cursor, a statement of no parameters, a ``COPY``: ``wenshang.kernel.bulk`` calls ``drain``) the
queue is sent on its own. SQLite, in the process, runs each statement when it is sent."""
from contextlib import contextmanager

from django.db import connections


@contextmanager
def pipelined(using):
    """Queue ``send()``'s statements on ``using`` within the block (PostgreSQL; nested blocks join the
    outermost)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or getattr(connection, "_pipeline", None) is not None:
        yield
        return
    connection._pipeline = []
    try:
        with connection.execute_wrapper(_carry):
            yield
            drain(connection)
    finally:
        connection._pipeline = None


def send(connection, sql, params):
    """Execute ``sql`` with ``params`` (a list) now, or with the next statement within ``pipelined``."""
    waiting = getattr(connection, "_pipeline", None)
    if waiting is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        waiting.append((sql, list(params)))


def drain(connection):
    """Send what is queued on ``connection``, on its own."""
    waiting = getattr(connection, "_pipeline", None)
    if waiting:
        sql, params = _joined(waiting)
        waiting.clear()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _joined(waiting):
    return "; ".join(sql for sql, _params in waiting), [p for _sql, params in waiting for p in params]


def _carry(execute, sql, params, many, context):
    connection = context["connection"]
    waiting = getattr(connection, "_pipeline", None)
    if waiting:
        named = getattr(getattr(context.get("cursor"), "cursor", None), "name", None)
        if many or named or not isinstance(params, (list, tuple)):
            drain(connection)
        else:
            before, before_params = _joined(waiting)
            waiting.clear()
            sql, params = f"{before}; {sql}", [*before_params, *params]
    return execute(sql, params, many, context)
