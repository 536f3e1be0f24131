"""The admin signs in by the API's rules (evidence.services.signin): the one-time code of an account
that has a second factor, the same per-client throttle and per-account lockout, the same audit entries.
Its session reaches the browsable API too, so a weaker door here would open everything. Changing one's
password here goes through the same service as the API's (audited; the other devices signed out)."""

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from evidence.errors import DomainError
from evidence.request_context import client_address
from evidence.selectors.access import second_factor_refusal, session_counts
from evidence.selectors.accounts import issued_password, issued_password_expired
from evidence.services.accounts import password_change, session_login_record
from evidence.services.signin import IssuedPasswordExpired, LoginRefused, LoginThrottled, signin_verify

OTP_HELP = "From your authenticator app, if your account has a second factor."


def _otp_field() -> forms.CharField:
    return forms.CharField(
        label="One-time code",
        required=False,
        max_length=10,
        help_text=OTP_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _throttled(limit: LoginThrottled) -> ValidationError:
    minutes = max(1, round(limit.wait / 60))
    return ValidationError(f"{limit.message} (about {minutes} min)", code="throttled")


def session_verified(request: HttpRequest) -> bool:
    """Whether django-otp marked the session as opened with the account's one-time code."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


class SlidAdminLoginForm(AdminAuthenticationForm):
    otp = _otp_field()
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
            raise _throttled(limit) from None
        except IssuedPasswordExpired as expired:
            raise ValidationError(expired.message, code="one_time_password_expired") from None
        except LoginRefused:
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(signed_in.user)
        refusal = second_factor_refusal(user=signed_in.user, with_code=signed_in.second_factor, action=None)
        if refusal:
            raise ValidationError(refusal, code="second_factor_required")
        if signed_in.device is not None:
            # django-otp marks the session verified when Django's login() sees this (django_otp.login).
            signed_in.user.otp_device = signed_in.device
        self.user_cache = signed_in.user
        session_login_record(user=signed_in.user, second_factor=signed_in.second_factor)
        return self.cleaned_data


class SlidPasswordChangeForm(AdminPasswordChangeForm):
    """Django's form, checked and saved by Slid's rules: the current password (and code) as a login checks
    them, then evidence.services.accounts.password_change, which audits the change and signs out the other
    devices (tokens and sessions; this session stays)."""

    otp = _otp_field()
    field_order = ["old_password", "otp", "new_password1", "new_password2"]
    # The service's fields, as this form names them.
    FIELDS = {"current_password": "old_password", "new_password": "new_password2"}

    def __init__(self, user, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        return self.cleaned_data["old_password"]  # checked in clean(), with the code and the login's limits

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            signin_verify(
                username=self.user.get_username(),
                password=cleaned["old_password"],
                otp=cleaned.get("otp") or None,
                client=client_address(self.request),
            )
        except LoginThrottled as limit:
            raise _throttled(limit) from None
        except IssuedPasswordExpired as expired:
            self.add_error("old_password", expired.message)
        except LoginRefused:
            self.add_error(
                "old_password", "That is not your current password (or, if your account uses one, the one-time code)."
            )
        return cleaned

    def save(self, commit: bool = True):
        password_change(
            actor=self.user,
            new_password=self.cleaned_data["new_password1"],
            keep_session=self.request.session.session_key,
        )
        self.user.refresh_from_db(fields=["password"])
        return self.user


class SlidPasswordChangeView(PasswordChangeView):
    form_class = SlidPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        try:
            form.save()
        except DomainError as error:
            form.add_error(form.FIELDS.get(error.field), error.message)
            return self.form_invalid(form)
        except ValidationError as error:  # the service's own check of Django's password rules
            form.add_error(
                "new_password2", [message for messages in error.message_dict.values() for message in messages]
            )
            return self.form_invalid(form)
        update_session_auth_hash(self.request, form.user)  # this session goes on
        return HttpResponseRedirect(self.get_success_url())


class SlidAdminSite(admin.AdminSite):
    login_form = SlidAdminLoginForm
    login_template = "admin/slid_login.html"
    password_change_template = "admin/slid_password_change.html"  # noqa: S105 (a template)

    # What an account whose password a staff member issued may open before it chooses its own, as in the
    # API (api.access.BEFORE_PASSWORD_CHANGE) and the workspace.
    BEFORE_PASSWORD_CHANGE = frozenset({"password_change", "password_change_done", "logout"})

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if issued_password_expired(issued_password(user=request.user)):
            return False  # it opens nothing, not even the change of itself: staff issue a new one
        verified = session_verified(request)
        if not session_counts(user=request.user, verified=verified):
            return False
        return second_factor_refusal(user=request.user, with_code=verified, action=None) is None

    def admin_view(self, view, cacheable=False):
        """Every admin page but changing one's password (and signing out) sends an account whose password a
        staff member issued, and which has not chosen its own, to the change of it."""
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def inner(request: HttpRequest, *args, **kwargs):
            match = request.resolver_match
            if (
                request.user.is_active
                and request.user.is_staff
                and (match is None or match.url_name not in self.BEFORE_PASSWORD_CHANGE)
                and issued_password(user=request.user) is not None
                and self.has_permission(request)
            ):
                return HttpResponseRedirect(reverse("admin:password_change", current_app=self.name))
            return guarded(request, *args, **kwargs)

        return inner

    def password_change(self, request, extra_context=None):
        request.current_app = self.name
        return SlidPasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            template_name=self.password_change_template,
        )(request)
