"""Where the current request comes from, for audit entries, without passing requests into services."""

from contextvars import ContextVar

source_ip: ContextVar[str | None] = ContextVar("source_ip", default=None)


class SourceAddressMiddleware:
    """Remembers the client's address for the request. Behind a proxy, set the proxy to pass
    the real address in REMOTE_ADDR (gunicorn's --forwarded-allow-ips)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = source_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            source_ip.reset(token)
