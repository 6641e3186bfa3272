"""The API feature's model: a token for another system."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenshang.kernel.scope import RestrictedQuerySet


class ApiToken(models.Model):
    """A token for another system (the province's platform, the grid workers' app, a bank).

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when it is made.
    Each token acts through its own account (``user``, ``User.is_api_client``) whose role and
    township carry the token's scope and rights, so the API goes through the same
    ``Model.objects.restrict(user, action)`` as the pages, and the change log names the client.
    """

    PREFIX = "ws_"

    name = models.CharField(_("client"), max_length=100, help_text=_("The system that uses the token, e.g. 省乡村振兴平台."))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="api_token"
    )
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty means the whole county."),
    )
    read_only = models.BooleanField(_("read only"), default=True)
    sees_personal_data = models.BooleanField(_("may see personal data"), default=False)
    prefix = models.CharField(_("token begins with"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, help_text=_("Empty means it never expires."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "user__county"  # the token's scope is its account's
    city_path = "user__city"
    admin_only = True
    admin_view_only = True

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_label(self):
        return self.user.scope_label if self.user_id else str(_("Whole county"))

    @property
    def state(self):
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def get_state_display(self):
        return {"revoked": _("Revoked"), "expired": _("Expired"), "active": _("Valid")}[self.state]


class IdempotentRequest(models.Model):
    """A POST sent with an ``Idempotency-Key`` header and the answer it got: a retry with the same key
    (its answer was lost) within ``API_IDEMPOTENCY_HOURS`` gets that answer again, and nothing is
    written twice; the same key with another body is a 409. Kept per caller (a token's account)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64, help_text=_("SHA-256 of the method, path and body."))
    status = models.PositiveSmallIntegerField(_("status"))
    body = models.TextField(_("answer"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "user__county"  # a token's requests: its account's county
    city_path = "user__city"
    admin_only = True
    admin_view_only = True

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_unique")]

    def __str__(self):
        return self.key


class Webhook(models.Model):
    """A subscriber of another system: the portal POSTs the events it chose to its address, signed with
    its secret (HMAC-SHA256), for the records of its scope (a county, or one township)."""

    name = models.CharField(_("subscriber"), max_length=100, help_text=_("The system that receives the events."))
    url = models.URLField(pgettext_lazy("webhook", "address"), max_length=500, help_text=_("Where the events are POSTed (http or https)."))
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    events = models.JSONField(_("events"), default=list)
    county = models.ForeignKey("villages.County", verbose_name=_("county"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    township = models.ForeignKey("villages.Township", verbose_name=_("township"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+", help_text=_("Empty means the whole county."))
    active = models.BooleanField(_("active"), default=True)
    cursor = models.CharField(_("change log read up to"), max_length=40, default="0.0", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    scope_path = None  # a county administrator's (admin_only)
    county_path = "county"
    city_path = "county__city"
    admin_only = True
    admin_view_only = True

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscriber: its payload, the attempts and their answers."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries")
    uuid = models.UUIDField(_("delivery id"), unique=True, editable=False)
    event = models.CharField(_("event"), max_length=80)
    payload = models.TextField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    last_status = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "webhook__county"
    city_path = "webhook__county__city"
    admin_only = True
    admin_view_only = True

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.event} → {self.webhook}"
