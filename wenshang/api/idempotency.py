"""Idempotent POSTs (``Idempotency-Key``): a system whose answer was lost (a timeout, a dropped
connection) sends the same request again with the same key and gets the first answer, and nothing
is written twice.

The answer of a request that wrote (2xx) is stored with the key, per caller, in the transaction of
the write: both are kept or neither. A retry within ``API_IDEMPOTENCY_HOURS`` (24) is answered from
the store, marked ``Idempotent-Replayed: true``; the same key with another body (method, path or
JSON) is a 409. Two requests with the same key at once: the second waits on the first's unique key,
its own write is rolled back and it answers the first's answer. An answer that is an error is not
stored (nothing was written: a retry is checked again). Keys older than the window are deleted by
the beat task ``wenshang.purge_idempotency_keys``."""
import datetime as dt
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response

from wenshang.api.models import IdempotentRequest

HEADER = "Idempotency-Key"


class KeyReused(exceptions.APIException):
    status_code = 409
    default_code = "conflict"
    default_detail = gettext_lazy("This Idempotency-Key was already used for another request (another body or address): "
                                  "use a new key for a new request.")


def window():
    return timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def fingerprint(request):
    """SHA-256 of the method, the path and the JSON body (its keys sorted: spacing does not count)."""
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _replay(found, mark):
    if found.fingerprint != mark:
        raise KeyReused
    response = Response(json.loads(found.body), status=found.status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request, run):
    """``run()``'s answer, or, for a key already answered, that answer (see the module)."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    if not (0 < len(key) <= 255 and key.isascii() and key.isprintable()):
        raise exceptions.ValidationError({HEADER: [_("An Idempotency-Key is 1 to 255 printable ASCII characters (a UUID, say).")]})
    mark = fingerprint(request)
    found = IdempotentRequest.objects.filter(user=request.user, key=key, created_at__gte=window()).first()
    if found is not None:
        return _replay(found, mark)
    try:
        with transaction.atomic():
            IdempotentRequest.objects.filter(user=request.user, key=key).delete()  # a use of the key older than the window
            response = run()
            if 200 <= response.status_code < 300:
                IdempotentRequest.objects.create(user=request.user, key=key, fingerprint=mark, status=response.status_code,
                                                 body=json.dumps(response.data, cls=DjangoJSONEncoder, ensure_ascii=False))
    except IntegrityError:  # the same key sent twice at once: the first one wrote, this one's write is undone
        found = IdempotentRequest.objects.filter(user=request.user, key=key).first()
        if found is None:
            raise
        return _replay(found, mark)
    return response


def purge():
    """Delete the keys older than the window; returns how many."""
    return IdempotentRequest.objects.filter(created_at__lt=window()).delete()[0]
