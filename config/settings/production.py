"""Production: everything from base, plus the settings that need HTTPS in front, and a refusal to
start with the development secret key."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int
from config.settings.base import *  # noqa: F403
from config.settings.base import (
    DEVELOPMENT_IDENTITY_KEY,
    INSECURE_DEFAULT_SECRET_KEY,
    SECRET_KEY,
    SLID_IDENTITY_KEYS,
)

if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) to a random value of 50+ characters.")

if DEVELOPMENT_IDENTITY_KEY in SLID_IDENTITY_KEYS:
    raise ImproperlyConfigured("Set SLID_IDENTITY_KEYS (or _FILE) to keys of your own; the development key is public.")

DEBUG = False
# Believed only from the proxies named in SLID_TRUSTED_PROXIES: evidence.request_context's
# ForwardedHeadersMiddleware drops X-Forwarded-Proto (and the other forwarded headers) from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
