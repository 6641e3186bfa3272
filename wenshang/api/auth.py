"""Token authentication and per-token throttling.

``Authorization: Bearer ws_…`` (``Token ws_…`` is accepted too). A revoked or expired token, or
an unknown one, is refused with a message that says which. The time of last use is written at
most once a minute, after the answer is sent (``touch_after``), so a busy client does not cost a
write per request and no request waits for it.
"""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from wenshang.api.models import ApiToken
from wenshang.api.tokens import hash_key

LAST_USED_EVERY = timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: give “Bearer” and the token, separated by one space."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        try:
            token = ApiToken.objects.select_related("user").get(key_hash=hash_key(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked on %(date)s.") % {"date": timezone.localtime(token.revoked_at).strftime("%Y-%m-%d %H:%M")}
            )
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s.") % {"date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The account of this token is disabled."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            token.last_used_at = now
            request._request.api_token_used = token  # written once the answer is sent (touch_after)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (``API_RATE``), or per user for a browser session."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self):
        wait = super().wait()
        return max(1, round(wait)) if wait is not None else None


def touch_after(request, response):
    """Record the token's last use when ``response`` has been sent (its ``close()``)."""
    token = getattr(request._request, "api_token_used", None)
    if token is not None:
        request._request.api_token_used = None
        response._resource_closers.append(
            lambda: ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
        )
    return response
