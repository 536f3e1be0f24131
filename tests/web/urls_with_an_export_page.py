"""The workspace's URLs and one more page, of the rule EXPORT, for tests/web/test_page_rules.py."""

from django.http import HttpResponse
from django.urls import include, path

from web.pages import Page
from web.urls import urlpatterns as web_pages


class ExportTestPage(Page):
    def get(self, request, reference):
        return HttpResponse(f"export of {self.case.reference} as {self.role}")


urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "",
        include(
            (
                [*web_pages, path("cases/<slug:reference>/export-test/", ExportTestPage.as_view(), name="export-test")],
                "web",
            ),
            namespace="web",
        ),
    ),
]
