"""Accounts: the login lockout, session time limits, and the county administrators' user pages.

Lockout
    After ``LOGIN_FAILURE_LIMIT`` failed logins (within ``LOGIN_LOCKOUT_MINUTES`` of the first)
    for one user name from one address, that pair is refused for ``LOGIN_LOCKOUT_MINUTES``,
    whether or not the account exists and whatever the password. ``LockoutBackend`` (the
    project's authentication backend) enforces it, so every login form — the portal's and the
    Django admin's — is covered. Their forms (``LoginForm``, ``AdminLoginForm``: anything built on
    ``LockoutMessageMixin``) then say that the account is locked and for how long
    (``request.login_lockout``, set by the backend) instead of "wrong user name or password". The
    password change form checks the old password without ``authenticate``: it needs a logged-in
    session, so it is not a login path. The state lives in Django's cache (Redis, which production
    settings require, so that every gunicorn worker counts the same failures), keyed by a hash of
    the name and the address; the client address is
    ``REMOTE_ADDR``, or the X-Forwarded-For entry added by the nearest of
    ``LOGIN_LOCKOUT_PROXY_COUNT`` trusted reverse proxies. A successful login clears the counter.

Sessions
    ``SessionTimeoutMiddleware`` keeps the login time and the last activity in the session and
    logs the user out after ``SESSION_IDLE_TIMEOUT`` seconds without a request, or
    ``SESSION_ABSOLUTE_TIMEOUT`` seconds after logging in whatever the activity, sending them to
    the login page with a message. The activity stamp is written at most once a minute, so a
    request does not always mean a session write.

Users
    County administrators (and superusers) — whoever ``wenshang.kernel.scope`` lets change ``User`` —
    list, create and edit accounts under ``/accounts/users/``. Accounts are deactivated, never
    deleted; nobody here can grant superuser status, and administrators cannot deactivate
    themselves or drop their own administrator role.
"""
import hashlib
import math
import time

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin, UsernameField
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.dispatch import receiver
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from villages.models import City, County, Township
from wenshang.kernel.choices import Role
from wenshang.kernel.models import User
from wenshang.kernel.scope import can, permission_filter, scope_of
from wenshang.web.filters import PortalFilterSet
from wenshang.web.forms import bootstrap_errors

# -- login lockout --------------------------------------------------------------------------------


def _failure_limit():
    return getattr(settings, "LOGIN_FAILURE_LIMIT", 5)


def _lockout_seconds():
    return getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15) * 60


def client_address(request):
    """The address a login comes from: ``REMOTE_ADDR``, unless the site sits behind
    ``LOGIN_LOCKOUT_PROXY_COUNT`` reverse proxies that each append to X-Forwarded-For (then the
    entry the outermost trusted proxy wrote; entries further left are the client's own claims)."""
    proxies = getattr(settings, "LOGIN_LOCKOUT_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _cache_key(request, username, kind):
    digest = hashlib.sha256(f"{username.strip().casefold()}\0{client_address(request)}".encode()).hexdigest()
    return f"accounts:login:{kind}:{digest}"


def lockout_remaining(request, username):
    """Seconds until this user name may log in again from this address (0: not locked)."""
    key = _cache_key(request, username, "lock")
    until = cache.get(key)
    if until is None:
        return 0
    remaining = until - time.time()
    if remaining <= 0:
        cache.delete(key)
        return 0
    return remaining


def record_failure(request, username):
    """Count one failed login; lock the pair when the limit is reached. Returns the seconds of
    the lock it started (0: not locked yet)."""
    lockout = _lockout_seconds()
    key = _cache_key(request, username, "count")
    cache.add(key, 0, timeout=lockout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=lockout)
        count = 1
    if count < _failure_limit():
        return 0
    # The lock's end is stored, not left to the cache's expiry, so that every backend agrees.
    cache.set(_cache_key(request, username, "lock"), time.time() + lockout, timeout=lockout + 60)
    cache.delete(key)
    return lockout


def clear_failures(request, username):
    cache.delete_many([_cache_key(request, username, "count"), _cache_key(request, username, "lock")])


def lockout_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed logins with this user name from this address. Please try again in %(minutes)d minute.",
        "Too many failed logins with this user name from this address. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockoutBackend(ModelBackend):
    """Django's model backend, refusing a locked user name and address before any password check.

    A locked attempt raises ``PermissionDenied`` (Django's ``authenticate`` then tries no other
    backend) and is not counted again. The message for the login page is left on the request as
    ``request.login_lockout`` for the form (``LockoutMessageMixin``); it is the same whether or
    not the account exists.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        remaining = lockout_remaining(request, username)
        if remaining:
            request.login_lockout = lockout_message(remaining)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            locked = record_failure(request, username)
            if locked:
                request.login_lockout = lockout_message(locked)
        else:
            clear_failures(request, username)
        return user

    def get_user(self, user_id):
        """The signed-in user of a request, with their county and city (the portal's name on every page
        is their place's: no query more than Django's own)."""
        try:
            user = User._default_manager.select_related("county__city", "city").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class LockoutMessageMixin:
    """For a form built on Django's ``AuthenticationForm``: when ``LockoutBackend`` refused the
    login (or the failure just started a lock), the form's error is the lockout message with the
    minutes left, not the usual "wrong user name or password"."""

    def get_invalid_login_error(self):
        message = getattr(self.request, "login_lockout", None)
        if message:
            return ValidationError(message, code="locked")
        return super().get_invalid_login_error()


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    """The portal's login form (``/accounts/login/``)."""


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    """The Django admin's login form (``/admin/login/``; set as ``admin.site.login_form`` in
    ``WenshangConfig.ready``)."""


# -- session time limits --------------------------------------------------------------------------

LOGIN_AT = "_accounts_login_at"
ACTIVE_AT = "_accounts_active_at"
ACTIVITY_RESOLUTION = 60  # seconds: the activity stamp is rewritten at most this often


@receiver(user_logged_in, dispatch_uid="accounts_session_stamps")
def _stamp_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[LOGIN_AT] = now
        session[ACTIVE_AT] = now


class SessionTimeoutMiddleware:
    """Ends sessions idle for ``SESSION_IDLE_TIMEOUT`` seconds or older than ``SESSION_ABSOLUTE_TIMEOUT``.

    Runs in ``process_view`` so that the message middleware (listed after this one) is ready for
    the message shown on the login page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = time.time()
        login_at, active_at = session.get(LOGIN_AT), session.get(ACTIVE_AT)
        if login_at is None or active_at is None:  # a session older than these stamps
            session[LOGIN_AT] = login_at or now
            session[ACTIVE_AT] = now
            return None
        idle = getattr(settings, "SESSION_IDLE_TIMEOUT", 30 * 60)
        absolute = getattr(settings, "SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
        if now - login_at > absolute:
            hours = max(1, round(absolute / 3600))
            reason = ngettext(
                "You have been logged in for %(hours)d hour; please log in again.",
                "You have been logged in for %(hours)d hours; please log in again.",
                hours,
            ) % {"hours": hours}
        elif now - active_at > idle:
            minutes = max(1, round(idle / 60))
            reason = ngettext(
                "You have been inactive for %(minutes)d minute; please log in again.",
                "You have been inactive for %(minutes)d minutes; please log in again.",
                minutes,
            ) % {"minutes": minutes}
        else:
            if now - active_at >= ACTIVITY_RESOLUTION:
                session[ACTIVE_AT] = now
            return None
        logout(request)
        if request.path.startswith("/api/"):
            return None  # the API answers the now anonymous request itself (401/403)
        messages.warning(request, reason)
        return redirect_to_login(request.get_full_path())


# -- user management ------------------------------------------------------------------------------


def manages_users(user):
    """County administrators and superusers: whoever the scope rules let change users."""
    return can(user, "change", User)


def _scope_allowed(user, account):
    """May ``user`` manage ``account`` with the scope it is given (its township, county and city, as
    ``User.clean`` completed them)? A township's administrator: their township's accounts; a
    county's: the county's (its townships' included); a city's: the city's and its counties'."""
    allowed = permission_filter(user, User, "change")
    if isinstance(allowed, bool):
        return allowed
    scope = scope_of(user)
    if scope.level == "township":
        return account.township_id is not None and account.township_id == user.township_id
    if scope.level == "county":
        return account.county_id == scope.county_id
    return account.city_id == scope.city_id


class UserFilterSet(PortalFilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, label=gettext_lazy("role"))
    township = django_filters.ModelChoiceFilter(
        queryset=Township.objects.all(), label=gettext_lazy("township"), null_label=gettext_lazy("Whole county")
    )
    is_active = django_filters.BooleanFilter(
        label=gettext_lazy("active"),
        widget=forms.Select(choices=[("", "---------"), ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]),
    )

    search_fields = ("username", "first_name", "last_name", "email")

    class Meta:
        model = User
        fields = []  # the declared filters above

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs["placeholder"] = _("User name or full name")


class UserForm(SetPasswordMixin, forms.ModelForm):
    """Create or edit an account. The password is required when creating, optional when editing
    (empty keeps the current one) and checked by ``AUTH_PASSWORD_VALIDATORS``. Role and scope are
    validated by ``User.clean``."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ["username", "first_name", "role", "city", "county", "township", "domain", "sees_personal_data", "is_active"]
        field_classes = {"username": UsernameField}
        labels = {"first_name": capfirst(gettext_lazy("full name"))}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.adding = self.instance._state.adding
        township = self.fields["township"]
        township.queryset = Township.objects.restrict(user, "view").select_related("county")
        township.empty_label = _("Whole county")
        # The levels above: a county's administrator makes accounts of their county (fixed), a city's
        # of the city or one of its counties (the city fixed), the deployment's of any.
        scope = scope_of(user)
        county, city = self.fields["county"], self.fields["city"]
        county.queryset = County.objects.restrict(user, "view")
        city.queryset = City.objects.restrict(user, "view")
        county.empty_label = city.empty_label = _("None")
        if scope.level in ("county", "township"):
            county.queryset = county.queryset.filter(pk=scope.county_id)
            county.disabled = True
            if self.adding:
                self.initial["county"] = scope.county_id
        if scope.level is not None:
            city.disabled = True
            if self.adding:
                self.initial["city"] = scope.city_id
        if not self.adding:
            for name in ("password1", "password2"):
                self.fields[name].required = False
            self.fields["password1"].label = _("New password")
            self.fields["password2"].label = _("New password confirmation")
            self.fields["password1"].help_text = _("Leave both empty to keep the current password.") + " " + str(
                self.fields["password1"].help_text
            )
        self.fields["is_active"].help_text = _("Unselect this instead of deleting the account: the user can no longer log in.")
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def clean_username(self):
        # Unique whatever the case, as Django's user creation form has it ("Wang" and "wang").
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise ValidationError(self.instance.unique_error_message(User, ["username"]))
        return username

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if bool(password1) != bool(password2) and "password2" not in self.errors:
            self.add_error("password2", self.error_messages["password_mismatch"])
        if self.instance.pk is not None and self.instance.pk == self.user.pk:
            if "is_active" in cleaned and not cleaned["is_active"]:
                self.add_error("is_active", _("You cannot deactivate your own account."))
            if not self.user.is_superuser and cleaned.get("role") not in (None, Role.ADMIN):
                self.add_error("role", _("You cannot remove your own administrator role."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the model's validation: User.clean (township, county, city, domain), uniqueness
        level = scope_of(self.user).level
        field = "township" if level == "township" else "county"
        if not self.errors.keys() & {"township", "county", "city"} and not _scope_allowed(self.user, self.instance):
            message = {"township": _("You may only manage the accounts of your own township."),
                       "county": _("You may only manage the accounts of your own county."),
                       "city": _("You may only manage the accounts of your own city and its counties.")}.get(level, "")
            self.add_error(field, message)
        if self.cleaned_data.get("password1"):
            self.validate_password_for_user(self.instance, "password1")

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.adding:
            user.is_staff = True  # portal accounts also use the (scoped) Django admin
        if self.cleaned_data.get("password1"):
            user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class UserManagementView(LoginRequiredMixin, View):
    """Pages for those who manage users; everybody else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not manages_users(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def breadcrumbs(self):
        return [(_("Wenshang County"), reverse("home")), (User._meta.verbose_name_plural, reverse("user_list"))]


def may_edit_account(user, obj):
    """Superusers' accounts are changed by superusers only."""
    return user.is_superuser or not obj.is_superuser


class UserListView(UserManagementView):
    paginate_by = 50
    template_name = "accounts/user_list.html"

    def get(self, request):
        qs = (User.objects.restrict(request.user, "change").filter(is_api_client=False)
              .select_related("township", "county", "city").order_by("username"))
        filterset = UserFilterSet(request.GET or None, queryset=qs, request=request)
        if filterset.is_bound and filterset.is_valid():
            qs = filterset.qs
        page = Paginator(qs, self.paginate_by).get_page(request.GET.get("page"))
        rows = [(obj, may_edit_account(request.user, obj)) for obj in page.object_list]
        return render(
            request,
            self.template_name,
            {"filterset": filterset, "page": page, "rows": rows, "opts": User._meta, "breadcrumbs": self.breadcrumbs()[:1]},
        )


class UserEditView(UserManagementView):
    template_name = "accounts/user_form.html"

    def get_object(self, pk):
        if pk is None:
            return User(is_active=True)
        obj = get_object_or_404(User.objects.restrict(self.request.user, "change").filter(is_api_client=False), pk=pk)
        if not may_edit_account(self.request.user, obj):
            raise PermissionDenied
        return obj

    def render_form(self, form, obj):
        return render(
            self.request,
            self.template_name,
            {"form": bootstrap_errors(form), "object": obj, "opts": User._meta, "breadcrumbs": self.breadcrumbs()},
        )

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        return self.render_form(UserForm(instance=obj, user=request.user), obj)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = UserForm(request.POST, instance=obj, user=request.user)
        if not form.is_valid():
            return self.render_form(form, obj)
        user = form.save()
        if user.pk == request.user.pk and form.cleaned_data.get("password1"):
            update_session_auth_hash(request, user)  # changing one's own password keeps one logged in
        messages.success(request, _("%(name)s “%(obj)s” was saved.") % {"name": User._meta.verbose_name, "obj": user})
        return redirect("user_list")
