"""The base of every page of the workspace.

A page is a class-based view that inherits ``Page`` and whose URL name has a rule in web.access.PAGES.
``Page.dispatch`` applies the rule before the page's own ``get``/``post`` runs, so a page never checks
permissions itself:

    class IncidentListPage(Page):
        template_name = "web/incident_list.html"
        partial_template_name = "web/_incident_table.html"  # what an htmx request gets

        def get(self, request, reference):
            incidents = incident_list(user=request.user).filter(case=self.case)  # a selector, never a query of its own
            return self.render({"incidents": incidents})

For a case page (a rule that is an Action), ``self.case`` is the case named by ``<reference>`` in the
URL, already restricted to the user's cases (404 otherwise), and ``self.role`` the user's role in it
(None for a superuser who is not a member). Objects named further in the URL must be looked up within
``self.case``, through a selector; tests/web/test_page_access.py checks that another case's object
answers 404.

With SLID_REQUIRE_TOTP, a page whose rule is EXPORT or REVEAL_IDENTITY also needs a session opened with
the account's one-time code (evidence.selectors.access.second_factor_refusal). REVEAL_IDENTITY as a
page's rule admits the case's leads; a page that reveals one person to the members a lead named for
that person has the rule READ and asks evidence.selectors.access.user_may_reveal about the person.
"""

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from evidence.models import Case
from evidence.selectors.access import (
    Action,
    case_role,
    restrict_to_user_cases,
    role_allows,
    second_factor_refusal,
    session_counts,
    user_may,
)
from evidence.selectors.accounts import issued_password, totp_enrolled
from web.access import AUTHENTICATED, BEFORE_PASSWORD_CHANGE, CASE_KWARG, PUBLIC, STAFF, rule_for


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it then wants a fragment of the page, not the whole page)."""
    return request.headers.get("HX-Request") == "true"


def signed_in(request: HttpRequest) -> bool:
    """Signed in, by a session that counts: one of an account with a second factor must have been opened
    with its code (the API and the admin refuse it too)."""
    user = request.user
    return user.is_authenticated and session_counts(user=user, verified=verified(user))


def verified(user) -> bool:
    """Whether the session was opened with the account's one-time code (django-otp's OTPMiddleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class Page(View):
    """A page of the workspace; see the module's docstring."""

    template_name: str = ""
    # Rendered instead of template_name for an htmx request, when set: the part of the page it replaces.
    partial_template_name: str | None = None

    case: Case | None = None
    role: str | None = None
    # A GET that records something (a download in custody and the audit log, a reveal): the browser must
    # have been on Slid, or been told the address by its user, when it asked. A link on another site
    # would otherwise make a signed-in lead's browser "download" a package with identities in their name
    # (the session cookie is SameSite=Lax, which follows links). Sec-Fetch-Site is what browsers say.
    records_on_get: bool = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return self.http_method_not_allowed(request, *args, **kwargs)
        url_name = request.resolver_match.url_name
        rule = rule_for(url_name, request.method)
        if rule is None:
            raise PermissionDenied(_("This page has no rule of access."))
        if rule != PUBLIC:
            if not signed_in(request):
                return self._to_signin(request)
            if url_name not in BEFORE_PASSWORD_CHANGE and issued_password(user=request.user) is not None:
                return HttpResponseRedirect(reverse("web:password"))
            self._check(request, rule, kwargs)
        if self.records_on_get and request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
            raise PermissionDenied(_("Open this from Slid's own page: a link from elsewhere is not followed here."))
        return super().dispatch(request, *args, **kwargs)

    def _check(self, request: HttpRequest, rule: object, kwargs: dict) -> None:
        user = request.user
        if rule == AUTHENTICATED:
            return
        if rule == STAFF:
            if not user.is_staff:
                raise PermissionDenied(_("This page is for staff."))
            return
        if not isinstance(rule, Action) or CASE_KWARG not in kwargs:
            raise PermissionDenied(_("This page has no rule of access."))
        cases = restrict_to_user_cases(Case.objects.all(), user=user, case_field="")
        self.case = cases.filter(reference=kwargs[CASE_KWARG]).first()
        if self.case is None:
            raise Http404(_("No such case."))
        self.role = case_role(user=user, case=self.case)
        if not user_may(user=user, case=self.case, action=rule):
            raise PermissionDenied(_("Your role in this case does not allow this."))
        if second_factor_refusal(user=user, with_code=verified(user), action=rule) is not None:
            if totp_enrolled(user=user):
                raise PermissionDenied(_("This needs your second factor: sign in again with your one-time code."))
            raise PermissionDenied(
                _(
                    "This needs a second factor, which your account does not have yet: "
                    "turn one on, then sign in again with its code."
                )
            )

    def _to_signin(self, request: HttpRequest) -> HttpResponse:
        here = request.get_full_path()
        if here == reverse("web:case-list"):  # where signing in leads anyway
            response = HttpResponseRedirect(reverse("web:signin"))
        else:
            response = redirect_to_login(here, reverse("web:signin"))
        if is_htmx(request):  # htmx would put the sign-in page inside the part it swaps: load it whole
            response = HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
        return response

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        navigation = case_navigation(self.request, self.case, self.role) if self.case is not None else []
        return {"case": self.case, "role": self.role, "page": self, "case_navigation": navigation, **context}

    def render(self, context: dict[str, Any] | None = None, *, status: int = 200) -> HttpResponse:
        """The page (or, for htmx, its partial template) with ``context``."""
        template = self.partial_template_name if is_htmx(self.request) and self.partial_template_name else None
        response = render(
            self.request, template or self.template_name, self.get_context_data(**(context or {})), status=status
        )
        patch_vary_headers(response, ["HX-Request"])
        return response


# The case's pages in its menu (web/templates/web/_case_navigation.html), in this order; each is shown
# only to those its rule lets in, so the menu never offers a page that would answer 403.
CASE_NAVIGATION = [
    ("case-home", gettext_lazy("Overview")),
    ("evidence-list", gettext_lazy("Evidence")),
    ("upload", gettext_lazy("Upload")),
    ("incident-create", gettext_lazy("Record an incident")),
    ("protected-person-list", gettext_lazy("Witnesses and victims")),
    ("people", gettext_lazy("Suspects and units")),
    ("package-list", gettext_lazy("Court packages")),
    ("members", gettext_lazy("Members")),
    ("audit", gettext_lazy("Audit log")),
]


def case_navigation(request: HttpRequest, case: Case, role: str | None) -> list[dict[str, object]]:
    user, here = request.user, request.resolver_match.url_name if request.resolver_match else None
    allowed = []
    for url_name, label in CASE_NAVIGATION:
        rule = rule_for(url_name, "GET")
        if isinstance(rule, Action) and (user.is_superuser or role_allows(role, rule)):
            url = reverse(f"web:{url_name}", kwargs={CASE_KWARG: case.reference})
            allowed.append({"url": url, "label": label, "current": url_name == here})
    return allowed
