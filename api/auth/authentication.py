"""Who is calling: an API token (``Token`` or ``Bearer``), or a session opened by the admin's login."""

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from evidence.selectors.access import session_counts, signed_in_counts
from evidence.selectors.accounts import token_find
from evidence.services.accounts import token_record_use

SCHEMES = {b"token", b"bearer"}
EXPECTED = gettext_noop(
    "send 'Authorization: Token <token>' (or 'Bearer <token>') with a token from POST /api/v1/auth/token/."
)
ISSUED_WITHOUT_CODE = gettext_noop(
    "This token was issued without the account's one-time code, which the account now has: log in again "
    "with your code (otp)."
)


class ApiTokenAuthentication(BaseAuthentication):
    """Slid's API tokens: stored as SHA-256 hashes, one per device, each expiring."""

    keyword = "Token"
    # Whether a request it lets in notes the token's use (last_used_at); the health check, which
    # writes nothing, turns it off.
    record_use = True

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        scheme = header[0].lower()
        if scheme not in SCHEMES:
            shown = header[0].decode(errors="replace")[:20]
            message = gettext("Unsupported authorization scheme %(scheme)s; %(expected)s")
            raise AuthenticationFailed(message % {"scheme": repr(shown), "expected": gettext(EXPECTED)})
        if len(header) != 2:
            message = gettext("Malformed authorization header; %(expected)s")
            raise AuthenticationFailed(message % {"expected": gettext(EXPECTED)})
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(gettext("Invalid token.")) from None
        token = token_find(key=key)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(gettext("Invalid token."))
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed(gettext("The token has expired; log in again for a new one."))
        if not signed_in_counts(user=token.user, with_code=token.second_factor, enrolled=token.owner_enrolled):
            raise AuthenticationFailed(gettext(ISSUED_WITHOUT_CODE))
        if self.record_use:
            token_record_use(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class SecondFactorSessionAuthentication(SessionAuthentication):
    """A session, for the browsable API. A session of an account with a second factor counts only if
    it was opened with the one-time code (the admin's login asks for it): one opened some other way,
    or before the admin asked, is refused (evidence.selectors.access.signed_in_counts)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        is_verified = getattr(user, "is_verified", None)
        if not session_counts(user=user, verified=bool(is_verified and is_verified())):
            raise AuthenticationFailed(
                gettext(
                    "This session was opened without the account's one-time code; sign in again at /admin/login/ "
                    "with the code, or use a token."
                )
            )
        return result


# --- How the schema (and Swagger UI's "Authorize") describes them ---------------------------------


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token/, as `Authorization: Bearer <token>` "
            "(or `Token <token>`).",
        }


class SecondFactorSessionScheme(OpenApiAuthenticationExtension):
    target_class = SecondFactorSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
