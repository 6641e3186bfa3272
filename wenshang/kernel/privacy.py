"""Personal data: national ID numbers and mobile numbers are shown masked unless the user has the
right (``User.may_see_personal_data``); every unmasked view is recorded in ``PersonalDataAccess``."""
from functools import cache

from django.contrib.contenttypes.models import ContentType

from wenshang.kernel.models import PersonalDataAccess
from wenshang.kernel.validators import mask_id_number, mask_phone, validate_id_number, validate_mobile


@cache
def personal_fields(model):
    """{attname: mask function} for the model's ID-number and phone fields."""
    found = {}
    for field in model._meta.concrete_fields:
        if validate_id_number in field.validators:
            found[field.attname] = mask_id_number
        elif validate_mobile in field.validators:
            found[field.attname] = mask_phone
    return found


def may_see(user):
    return bool(getattr(user, "may_see_personal_data", False))


def shown(user, obj, attname):
    """The value of a field as ``user`` may see it."""
    value = getattr(obj, attname)
    mask = personal_fields(type(obj)).get(attname)
    if mask is None or may_see(user):
        return value
    return mask(value)


def record_access(user, model, objects, context, fields=None):
    """Record that ``user`` saw the personal fields of ``objects`` unmasked (no-op when nothing was)."""
    fields = list(fields or personal_fields(model))
    ids = [obj.pk if hasattr(obj, "pk") else obj for obj in objects]
    if not (fields and ids and may_see(user)):
        return None
    return PersonalDataAccess.objects.create(
        user=user, content_type=ContentType.objects.get_for_model(model), object_ids=ids, fields=fields, context=context[:100]
    )
