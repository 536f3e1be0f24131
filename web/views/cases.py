"""The user's cases, and a case's home page."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from evidence.selectors.cases import case_list
from web.pages import Page

# The case list is a handful of cases for most people; a superuser sees every case, a page at a time.
CASES_SHOWN = 200
SEARCH_MAX_LENGTH = 100


class CaseListPage(Page):
    """Your cases; the search box narrows the table as you type (htmx replaces the table only)."""

    template_name = "web/case_list.html"
    partial_template_name = "web/_case_table.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
        cases = case_list(user=request.user)
        if query:
            cases = cases.filter(Q(reference__icontains=query) | Q(title__icontains=query))
        shown = list(cases.order_by("reference")[: CASES_SHOWN + 1])
        return self.render({"cases": shown[:CASES_SHOWN], "more": len(shown) > CASES_SHOWN, "q": query})


class CaseHomePage(Page):
    """A case's home. For now its particulars; the map, the timeline, counts and the newest activity
    (issue 12) are built on this page."""

    template_name = "web/case_home.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        return self.render()
