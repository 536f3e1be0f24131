"""Signing in and out of the workspace, and choosing one's own password. Every login goes through
evidence.services.signin: the one-time code of an account that has one, the same throttle, lockout and
audit as the API's tokens and the admin."""

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evidence.errors import DomainError
from evidence.request_context import client_address
from evidence.selectors.accounts import issued_password, issued_password_expired, totp_enrolled
from evidence.services.accounts import (
    password_change,
    session_login_record,
    session_logout_record,
    signout_everywhere,
)
from evidence.services.signin import LoginRefused, LoginThrottled, signin_verify
from web.forms import PasswordForm, SignInForm
from web.pages import Page, signed_in

REFUSED = "refused"
THROTTLED = "throttled"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("web:case-list")


def _throttled_message(limit: LoginThrottled) -> str:
    minutes = max(1, round(limit.wait / 60))
    return ngettext(
        "Too many attempts. Try again in about %(minutes)d minute.",
        "Too many attempts. Try again in about %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class SignInPage(Page):
    template_name = "web/signin.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if signed_in(request):
            return HttpResponseRedirect(_safe_next(request))
        return self.render({"form": SignInForm(), "next": _safe_next(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignInForm(request.POST)
        if not form.is_valid():
            return self.render({"form": form, "next": _safe_next(request)}, status=400)
        data = form.cleaned_data
        try:
            signed = signin_verify(
                username=data["username"],
                password=data["password"],
                otp=data.get("otp") or None,
                client=client_address(request),
            )
        except LoginThrottled as limit:
            form.add_error(None, ValidationError(_throttled_message(limit), code=THROTTLED))
            response = self.render({"form": form, "next": _safe_next(request)}, status=429)
            response["Retry-After"] = str(limit.wait)
            return response
        except LoginRefused:
            message = _("The username, password or one-time code is not right.")
            form.add_error(None, ValidationError(message, code=REFUSED))
            return self.render({"form": form, "next": _safe_next(request)}, status=400)
        user = signed.user
        if signed.device is not None:
            user.otp_device = signed.device  # django-otp marks the session verified on login()
        login(request, user)
        session_login_record(user=user, second_factor=signed.second_factor, via="web")
        if issued_password(user=user) is not None:
            return HttpResponseRedirect(reverse("web:password"))
        return HttpResponseRedirect(_safe_next(request))


class SignOutPage(Page):
    def post(self, request: HttpRequest) -> HttpResponse:
        session_logout_record(user=request.user, via="web")
        logout(request)
        messages.info(request, _("You have signed out."))
        return HttpResponseRedirect(reverse("web:signin"))


class SignOutEverywherePage(Page):
    """Ends every session of the user, this one too, and revokes the API tokens of every device."""

    def post(self, request: HttpRequest) -> HttpResponse:
        sessions, tokens = signout_everywhere(actor=request.user, keep_session=request.session.session_key, via="web")
        logout(request)
        messages.info(
            request,
            _("You have signed out everywhere: %(sessions)s, %(tokens)s.")
            % {
                "sessions": ngettext("%(n)d other browser session", "%(n)d other browser sessions", sessions)
                % {"n": sessions},
                "tokens": ngettext("%(n)d device of the API", "%(n)d devices of the API", tokens) % {"n": tokens},
            },
        )
        return HttpResponseRedirect(reverse("web:signin"))


class PasswordPage(Page):
    """Choosing one's own password: a colleague signing in with the one-time password staff issued must
    do it first; anyone may do it later. Other sessions end (their session hash no longer matches) and
    the API's tokens are revoked by the service; this session goes on."""

    template_name = "web/password.html"

    def _form(self, data=None) -> PasswordForm:
        return PasswordForm(data, needs_code=totp_enrolled(user=self.request.user))

    def _context(self, form: PasswordForm) -> dict:
        issued = issued_password(user=self.request.user)
        return {"form": form, "issued": issued, "expired": issued_password_expired(issued)}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self._context(self._form()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render(self._context(form), status=400)
        data = form.cleaned_data
        try:
            signin_verify(
                username=request.user.get_username(),
                password=data["current_password"],
                otp=data.get("otp") or None,
                client=client_address(request),
            )
        except LoginThrottled as limit:
            form.add_error(None, _throttled_message(limit))
            return self.render(self._context(form), status=429)
        except LoginRefused:
            if "otp" in form.fields:
                form.add_error(None, _("The current password or the one-time code is not right."))
            else:
                form.add_error("current_password", _("This is not your current password."))
            return self.render(self._context(form), status=400)
        try:
            password_change(actor=request.user, new_password=data["new_password"])
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.render(self._context(form), status=400)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(self._context(form), status=400)
        request.user.refresh_from_db(fields=["password"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed; your other sessions and devices were signed out."))
        return HttpResponseRedirect(reverse("web:case-list"))
