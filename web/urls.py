"""The workspace's pages, at the site's root. Every name here needs a rule in web.access.PAGES."""

from django.urls import path

from web.views.auth import PasswordPage, SignInPage, SignOutEverywherePage, SignOutPage
from web.views.cases import CaseHomePage, CaseListPage

app_name = "web"

urlpatterns = [
    path("", CaseListPage.as_view(), name="case-list"),
    path("signin/", SignInPage.as_view(), name="signin"),
    path("signout/", SignOutPage.as_view(), name="signout"),
    path("signout/everywhere/", SignOutEverywherePage.as_view(), name="signout-everywhere"),
    path("account/password/", PasswordPage.as_view(), name="password"),
    path("cases/<slug:reference>/", CaseHomePage.as_view(), name="case-home"),
]
