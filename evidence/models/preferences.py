"""A user's own settings of the workspace: how it shows distressing material."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MediaBlur(models.TextChoices):
    """Which photos, videos, recordings and documents the workspace shows blurred, greyscale and muted
    until the viewer chooses to see each one (vicarious trauma is real for those who watch this all day)."""

    ALWAYS = "always", _("Blur all material until I choose to see it")
    GRAPHIC = "graphic", _("Blur only material marked graphic")
    NEVER = "never", _("Never blur")


class UserPreferences(models.Model):
    """One row per user who changed a setting; a user without one has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preferences"
    )
    media_blur = models.CharField(max_length=10, choices=MediaBlur.choices, default=MediaBlur.GRAPHIC)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "user preferences"
        constraints = [
            models.CheckConstraint(condition=models.Q(media_blur__in=MediaBlur.values), name="preferences_blur_valid")
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
