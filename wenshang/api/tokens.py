"""API tokens: made, checked and revoked here (the portal page and ``create_api_token`` use this).

A token is ``ws_`` followed by 40 random characters. Only its SHA-256 hash is stored, so a stolen
database does not give working tokens; the token itself is shown once. Each token acts through
its own account (``User.is_api_client``): a read-only token is a county official of its scope,
a read-write token a county administrator (whole county) or township staff (one township).
"""
import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from wenshang.api.models import ApiToken
from wenshang.kernel.choices import Role
from wenshang.kernel.models import User

DEFAULT_DAYS = 365


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def new_key():
    return ApiToken.PREFIX + secrets.token_urlsafe(30)


def role_for(township, read_only):
    if read_only:
        return Role.OFFICIAL
    return Role.TOWNSHIP if township is not None else Role.ADMIN


@transaction.atomic
def create_token(*, name, township=None, read_only=True, expires_days=DEFAULT_DAYS, personal_data=False, created_by=None,
                 county=None):
    """Make a token; returns ``(token, key)``. ``key`` is the only copy of the token. Its scope: one
    township, one county (``county``; a township's is its county), or (neither) every record."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a token needs a client name")
    key = new_key()
    prefix = key[: len(ApiToken.PREFIX) + 6]
    user = User(
        username=f"api:{prefix}",
        first_name=name[:150],
        role=role_for(township, read_only),
        township=township,
        county=township.county if township is not None else county,
        is_staff=False,
        is_api_client=True,
        sees_personal_data=personal_data,
    )
    user.set_unusable_password()
    user.save()
    token = ApiToken.objects.create(
        name=name,
        user=user,
        township=township,
        read_only=read_only,
        sees_personal_data=personal_data,
        prefix=prefix,
        key_hash=hash_key(key),
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        created_by=created_by,
    )
    return token, key


@transaction.atomic
def revoke(token, *, by=None):
    """Revoke a token for good (its account is deactivated too)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=token.user_id).update(is_active=False)
    return token
