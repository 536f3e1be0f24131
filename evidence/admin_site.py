"""The admin signs in by the API's rules (evidence.services.signin): the one-time code of an account
that has a second factor, the same per-client throttle and per-account lockout, the same audit entries.
Its session reaches the browsable API too, so a weaker door here would open everything."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from evidence.request_context import client_address
from evidence.selectors.accounts import totp_enrolled
from evidence.services.accounts import session_login_record
from evidence.services.signin import LoginRefused, LoginThrottled, signin_verify

ENROL_FIRST = (
    "This deployment requires a second factor for the admin. Turn it on through the API "
    "(POST /api/v1/auth/totp/, then POST /api/v1/auth/totp/confirm/) and sign in here with its code."
)


def session_has_second_factor(request: HttpRequest) -> bool:
    """Whether the session's user signed in with the code an account with a second factor needs (and,
    with SLID_REQUIRE_TOTP, has one at all)."""
    is_verified = getattr(request.user, "is_verified", None)
    if is_verified and is_verified():
        return True
    return not (settings.SLID_REQUIRE_TOTP or totp_enrolled(user=request.user))


class SlidAdminLoginForm(AdminAuthenticationForm):
    otp = forms.CharField(
        label="One-time code",
        required=False,
        max_length=10,
        help_text="From your authenticator app, if your account has a second factor.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the correct username, password and one-time code (if your account uses "
        "one) for a staff account. Note that both fields may be case-sensitive.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        try:
            signed_in = signin_verify(
                username=username,
                password=password,
                otp=self.cleaned_data.get("otp") or None,
                client=client_address(self.request),
            )
        except LoginThrottled as limit:
            minutes = max(1, round(limit.wait / 60))
            raise ValidationError(f"{limit.message} (about {minutes} min)", code="throttled") from None
        except LoginRefused:
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(signed_in.user)
        if settings.SLID_REQUIRE_TOTP and not signed_in.second_factor:
            raise ValidationError(ENROL_FIRST, code="second_factor_required")
        if signed_in.device is not None:
            # django-otp marks the session verified when Django's login() sees this (django_otp.login).
            signed_in.user.otp_device = signed_in.device
        self.user_cache = signed_in.user
        session_login_record(user=signed_in.user, second_factor=signed_in.second_factor)
        return self.cleaned_data


class SlidAdminSite(admin.AdminSite):
    login_form = SlidAdminLoginForm
    login_template = "admin/slid_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and session_has_second_factor(request)
