"""Who is calling: an API token (``Token`` or ``Bearer``), or a session opened by the admin's login."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from evidence.selectors.accounts import token_find, totp_enrolled
from evidence.services.accounts import token_record_use

SCHEMES = {b"token", b"bearer"}
EXPECTED = "send 'Authorization: Token <token>' (or 'Bearer <token>') with a token from POST /api/v1/auth/token/."


class ApiTokenAuthentication(BaseAuthentication):
    """Slid's API tokens: stored as SHA-256 hashes, one per device, each expiring."""

    keyword = "Token"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        scheme = header[0].lower()
        if scheme not in SCHEMES:
            shown = header[0].decode(errors="replace")[:20]
            raise AuthenticationFailed(f"Unsupported authorization scheme {shown!r}; {EXPECTED}")
        if len(header) != 2:
            raise AuthenticationFailed(f"Malformed authorization header; {EXPECTED}")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        token = token_find(key=key)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid token.")
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed("The token has expired; log in again for a new one.")
        token_record_use(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class SecondFactorSessionAuthentication(SessionAuthentication):
    """A session, for the browsable API. A session of an account with a second factor counts only if
    it was opened with the one-time code (the admin's login asks for it): one opened some other way,
    or before the admin asked, is refused."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", None)
        if not (verified and verified()) and totp_enrolled(user=user):
            raise AuthenticationFailed(
                "This session was opened without the account's one-time code; sign in again at /admin/login/ "
                "with the code, or use a token."
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
