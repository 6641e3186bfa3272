"""One serializer per entity, made from its ``ModelViews``: the fields a person may change in the
form are the fields the API may write; the rest are read-only. Writes go through the entity's
``save_object`` (model validation, scope checks, the app's services); related records are ids,
chosen among the records the caller may read; personal data is masked as on the pages."""
import decimal
from contextlib import nullcontext
from datetime import UTC

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueValidator

from wenshang.kernel import privacy
from wenshang.kernel.models import unique_checked_by_database
from wenshang.kernel.scope import county_path, scope_of
from wenshang.kernel.validators import mask_id_number

SAME = object()


def rfc3339(value):
    """An aware datetime as RFC 3339 text ("Z" for UTC), as DRF writes it. Before 1901 the zone
    database gives Asia/Shanghai its local mean time, +08:05:43, an offset that RFC 3339 (the
    schema's date-time) cannot write: such a moment is written in UTC."""
    offset = value.utcoffset()
    if offset is not None and offset.seconds % 60:
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class DateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        if value and not isinstance(value, str) and getattr(self, "format", api_settings.DATETIME_FORMAT) == drf_fields.ISO_8601:
            return rfc3339(self.enforce_timezone(value))
        return super().to_representation(value)


def converter(field):
    """How DRF's ``field`` turns a model value into JSON, for the common kinds, or None."""
    kind = type(field)
    if field.source == "*" or "." in field.source:
        return None
    if kind in (drf_fields.CharField, drf_fields.IntegerField, drf_fields.BooleanField, drf_fields.ReadOnlyField):
        return SAME
    if kind is drf_fields.ChoiceField and all(isinstance(key, str) for key in field.choices):
        return SAME
    if kind is drf_fields.DateField and getattr(field, "format", api_settings.DATE_FORMAT) == drf_fields.ISO_8601:
        return lambda value: value.isoformat()
    if (kind in (drf_fields.DateTimeField, DateTimeField) and not hasattr(field, "timezone") and settings.USE_TZ
            and getattr(field, "format", api_settings.DATETIME_FORMAT) == drf_fields.ISO_8601):
        zone = timezone.get_current_timezone()

        def moment(value):
            return rfc3339(value.astimezone(zone))

        return moment
    if (kind is drf_fields.DecimalField and field.decimal_places is not None and not field.localize
            and not field.normalize_output and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)):
        context = decimal.getcontext().copy()
        if field.max_digits is not None:
            context.prec = field.max_digits
        exponent, rounding = decimal.Decimal(".1") ** field.decimal_places, field.rounding

        def number(value):
            if not isinstance(value, decimal.Decimal):
                value = decimal.Decimal(str(value).strip())
            return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

        return number
    return None


def django_errors(exc):
    """A Django ``ValidationError`` as DRF's ``{field: [messages]}``."""
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


class RelatedField(relations.PrimaryKeyRelatedField):
    """A related record by its id, among those the caller may read. A bulk request loads the records
    its items name at once (``preload``): no query per item."""

    preloaded = None  # {id: record} of the ids of a batch, or None: one query per value

    def preload(self, values):
        """Load the records of ``values`` (the ids sent for this field), 1,000 per query."""
        ids = sorted(pk for pk in {int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)
                                   or isinstance(v, str) and v.isascii() and v.isdigit()} if 0 < pk < 2**63)  # an id's range
        found = {}
        for start in range(0, len(ids), 1000):
            found.update((obj.pk, obj) for obj in self.get_queryset().filter(pk__in=ids[start:start + 1000]))
        self.preloaded = found

    def to_internal_value(self, data):
        if self.preloaded is not None and not isinstance(data, bool) and (
                isinstance(data, int) or isinstance(data, str) and data.isascii() and data.isdigit()):
            found = self.preloaded.get(int(data))
            if found is None:
                self.fail("does_not_exist", pk_value=data)
            return found
        return super().to_internal_value(data)


class PortalSerializer(serializers.ModelSerializer):
    config = None  # the entity's ModelViews
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: DateTimeField}
    serializer_related_field = RelatedField

    default_error_messages = {
        "unknown": _("Unknown field."),
        "locked": _("This field cannot be changed once the record exists: send its current value, or leave it out."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.user = getattr(request, "user", None)

    def get_validators(self):
        """None of DRF's: a record's uniqueness is the model's (``save_scoped``'s ``full_clean``, or the
        database's unique index for a single write: ``unique_checked_by_database``), asked once."""
        return []

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if any(isinstance(v, UniqueValidator) for v in field.validators):
                field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            queryset = getattr(target, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                target.queryset = queryset.restrict(self.user, "view")  # ids the caller may not read do not exist
                path = county_path(queryset.model) or ""
                if "__" in path:  # the record's county read with it (the check that counties do not mix)
                    target.queryset = target.queryset.select_related(path.rsplit("__", 1)[0])
                target.error_messages["does_not_exist"] = _(
                    "There is no record with id {pk_value}, or it is not within your scope.")
        county = fields.get("county")
        if county is not None and getattr(self.Meta.model, "county_path", None) == "county" and not county.read_only:
            # A county-level record's county: the caller's own (a county's or township's token), or
            # the only one they may choose; a city's or the deployment's caller names it.
            own = scope_of(self.user).county_id
            candidates = list((county.queryset.filter(pk=own) if own else county.queryset)[:2])
            if len(candidates) == 1:
                county.required = False  # filled in by to_internal_value (a model as ``default`` breaks the schema's JSON)
                self._own_county = candidates[0]
        if self.updating:
            for name in self.config.api_locked_on_update:
                if name in fields:
                    fields[name].read_only = True
        model = self.Meta.model
        for name, field in fields.items():  # a read-only choice may be blank or empty like the model's (the schema says so)
            source = field.source or name  # (fields are bound later)
            if isinstance(field, serializers.ChoiceField) and field.read_only and source in self._model_fields:
                model_field = model._meta.get_field(source)
                field.allow_blank, field.allow_null = model_field.blank, model_field.null
        return fields

    @cached_property
    def _model_fields(self):
        return {f.name for f in self.Meta.model._meta.concrete_fields}

    @property
    def updating(self):
        """Whether the request changes a record that exists (its locked fields are read-only); the
        schema's update requests (``schema_updating``) say the same."""
        return isinstance(self.instance, models.Model) or getattr(self, "schema_updating", False)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [self.error_messages["unknown"]] for name in unknown})
            if isinstance(self.instance, models.Model):
                data = self._unchanged(data)
        values = super().to_internal_value(data)
        own_county = getattr(self, "_own_county", None)
        if own_county is not None and "county" not in values and self.instance is None and not self.partial:
            values["county"] = own_county
        for attname, mask in privacy.personal_fields(self.Meta.model).items():
            if mask is mask_id_number and isinstance(values.get(attname), str):
                values[attname] = values[attname].upper()  # 3708…x is 3708…X
        return values

    def _unchanged(self, data):
        """A record read and sent back: its masked values (370830********1234) mean "unchanged", and a
        field locked once the record exists may be sent with its value, never with another (400)."""
        instance, data = self.instance, dict(data)
        for attname, mask in privacy.personal_fields(self.Meta.model).items():
            stored = getattr(instance, attname)
            if stored and isinstance(data.get(attname), str) and data[attname] != stored and data[attname] == mask(stored):
                data[attname] = stored
        locked = {}
        for name in self.config.api_locked_on_update:
            field = self.fields.get(name)
            if field is None or name not in data:
                continue
            value = field.get_attribute(instance)
            current = None if value is None else field.to_representation(value)
            if str(data[name]) != str(current) and not (data[name] in ("", None) and current in ("", None)):
                locked[name] = [self.error_messages["locked"]]
        if locked:
            raise serializers.ValidationError(locked)
        return data

    def to_representation(self, instance):
        """The record as JSON, field by field through ``_read_plan`` (the same output as DRF's
        ``to_representation``, which ``generic_representation`` keeps for the tests, at half the
        cost: over half of a list page's time went to DRF's per-value machinery)."""
        data = {}
        for name, attr, convert, field in self._read_plan:
            if convert is None:
                value = field.get_attribute(instance)
                data[name] = None if value is None else field.to_representation(value)
            else:
                value = getattr(instance, attr)
                data[name] = value if value is None or convert is SAME else convert(value)
        return self._masked(instance, data)

    def generic_representation(self, instance):
        return self._masked(instance, super().to_representation(instance))

    @cached_property
    def _read_plan(self):
        """[(name, attribute, converter, field)]: a converter chosen once per serializer for the
        common field kinds (SAME: the value as it is), None to let DRF's field convert it."""
        plan = []
        model = self.Meta.model
        for field in self._readable_fields:
            if type(field) in (relations.PrimaryKeyRelatedField, RelatedField) and field.pk_field is None and len(field.source_attrs) == 1:
                plan.append((field.field_name, model._meta.get_field(field.source).attname, SAME, field))
            else:
                plan.append((field.field_name, field.source, converter(field), field))
        return plan

    def _masked(self, instance, data):
        if not privacy.may_see(self.user):
            for attname, mask in privacy.personal_fields(type(instance)).items():
                if data.get(attname):
                    data[attname] = mask(data[attname])
        return data

    # -- writes: the same rules as the forms ---------------------------------------------------
    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, instance, validated_data):
        many = {}
        for name in list(validated_data):
            field = instance._meta.get_field(name)
            if field.many_to_many:
                many[name] = validated_data.pop(name)
            else:
                setattr(instance, name, validated_data[name])
        # A write that is a transaction of its own leaves the record's uniqueness to the database's
        # indexes, and on a refusal validates it again to say which field; within a larger one (a bulk
        # request, an idempotent retry's record) it is asked first, as a refusal would end it.
        # (A test case's own transaction aside, as Django's durable blocks do: there the block is a savepoint.)
        alone = all(getattr(block, "_from_testcase", False)
                    for block in transaction.get_connection(router.db_for_write(type(instance))).atomic_blocks)
        try:
            # The record's related lists set in the same transaction; without them, the rule's own
            # transaction (save_scoped) is the only one.
            with (transaction.atomic() if many or not alone else nullcontext()), \
                    (unique_checked_by_database(instance) if alone else nullcontext()):
                saved = self.config.save_object(instance, None, self.user)
                for name, values in many.items():
                    getattr(saved, name).set(values)
        except IntegrityError:
            if not alone:
                raise
            try:
                instance.full_clean()
            except DjangoValidationError as exc:
                raise serializers.ValidationError(django_errors(exc)) from None
            raise
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors(exc)) from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from None
        return saved


def serializer_for(config):
    """The serializer class of one entity (made once)."""
    model = config.model
    form_fields = set(config.get_form_class().base_fields)
    names = ["id"] + [f.name for f in model._meta.concrete_fields if not f.primary_key] + [f.name for f in model._meta.many_to_many]
    read_only = [n for n in names if n != "id" and (n not in form_fields or n in config.api_read_only_fields)]
    meta = type("Meta", (), {"model": model, "fields": names, "read_only_fields": read_only})
    return type(f"{model.__name__}Serializer", (PortalSerializer,), {"Meta": meta, "config": config, "__doc__": ""})
