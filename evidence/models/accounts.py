"""API tokens: one per device a person signs in from, kept only as a hash; and passwords issued by staff,
which their owner must replace before doing anything else."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# 32 random bytes: guessing one is out of reach, so a fast hash (no salt, no stretching) protects the
# stored form, and the token can be found by its hash with an index.
TOKEN_BYTES = 32
DEFAULT_DEVICE_NAME = "default"


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenManager(models.Manager["ApiToken"]):
    def create_with_key(
        self, *, user, name: str, lifetime: timedelta, second_factor: bool = False
    ) -> tuple["ApiToken", str]:
        """A new token and its secret, which is returned this once and stored nowhere."""
        key = secrets.token_urlsafe(TOKEN_BYTES)
        now = timezone.now()
        token = self.create(
            user=user,
            name=name,
            key_hash=token_hash(key),
            created_at=now,
            expires_at=now + lifetime,
            last_used_at=now,  # signing in is using it
            second_factor=second_factor,
        )
        return token, key


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text='The device it was issued to, e.g. "phone".')
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, in hex.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="When the device last signed in or called.")
    second_factor = models.BooleanField(
        default=False, help_text="Issued at a login that gave a one-time code (SLID_REQUIRE_TOTP asks for this)."
    )

    objects = ApiTokenManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="apitoken_one_per_device"),
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="apitoken_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"


class IssuedPassword(models.Model):
    """The account's password was issued by a staff member (a new account, or a new password for one
    whose owner lost theirs), and its owner has not chosen their own yet. Until they do, the account may
    only change its password or sign out (api.permissions); after ``expires_at`` it may only sign out.
    The password itself is kept only as the account's hash, like any other."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="issued_password"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("issued_at")), name="issued_password_expires"
            ),
        ]

    def __str__(self) -> str:
        return f"password issued to {self.user_id}"
