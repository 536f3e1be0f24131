"""The workspace's pages, at the site's root. Every name here needs a rule in web.access.PAGES."""

from django.urls import path

from web.views.account import AccountSettingsPage
from web.views.audit import AuditLogPage
from web.views.auth import PasswordPage, SignInPage, SignOutEverywherePage, SignOutPage
from web.views.cases import CaseHomePage, CaseListPage
from web.views.evidence import EvidenceDetailPage, EvidenceGraphicPage, EvidenceListPage, EvidenceMediaPage
from web.views.incidents import (
    IncidentCreatePage,
    IncidentDetailPage,
    IncidentEditPage,
    IncidentEvidenceLinkPage,
    IncidentLocationCheckPage,
)
from web.views.map import CaseMapTilesPage, MapAreasPage, MapOutlinePage
from web.views.members import MemberRemovePage, MemberRolePage, MembersPage
from web.views.packages import PackageDownloadPage, PackageListPage, PackagePage
from web.views.people import PeoplePage, PersonPage, UnitPage
from web.views.upload import ReceiptPage, UploadCollectionPage, UploadPage, UploadResourcePage
from web.views.witnesses import ProtectedPersonListPage, ProtectedPersonPage, ProtectedPersonRevealPage

app_name = "web"

urlpatterns = [
    path("", CaseListPage.as_view(), name="case-list"),
    path("signin/", SignInPage.as_view(), name="signin"),
    path("signout/", SignOutPage.as_view(), name="signout"),
    path("signout/everywhere/", SignOutEverywherePage.as_view(), name="signout-everywhere"),
    path("account/password/", PasswordPage.as_view(), name="password"),
    path("account/settings/", AccountSettingsPage.as_view(), name="account-settings"),
    path("cases/<slug:reference>/", CaseHomePage.as_view(), name="case-home"),
    path("cases/<slug:reference>/map/", CaseMapTilesPage.as_view(), name="case-map"),
    path("map/outline.geojson", MapOutlinePage.as_view(), name="map-outline"),
    path("map/areas/", MapAreasPage.as_view(), name="map-areas"),
    path("cases/<slug:reference>/packages/", PackageListPage.as_view(), name="package-list"),
    path("cases/<slug:reference>/packages/<uuid:package>/", PackagePage.as_view(), name="package"),
    path(
        "cases/<slug:reference>/packages/<uuid:package>/download/",
        PackageDownloadPage.as_view(),
        name="package-download",
    ),
    path("cases/<slug:reference>/audit/", AuditLogPage.as_view(), name="audit"),
    path("cases/<slug:reference>/members/", MembersPage.as_view(), name="members"),
    path("cases/<slug:reference>/members/<int:member>/role/", MemberRolePage.as_view(), name="member-role"),
    path("cases/<slug:reference>/members/<int:member>/remove/", MemberRemovePage.as_view(), name="member-remove"),
    path("cases/<slug:reference>/people/", PeoplePage.as_view(), name="people"),
    path("cases/<slug:reference>/people/<int:person>/", PersonPage.as_view(), name="person"),
    path("cases/<slug:reference>/units/<int:unit>/", UnitPage.as_view(), name="unit"),
    path("cases/<slug:reference>/incidents/new/", IncidentCreatePage.as_view(), name="incident-create"),
    path(
        "cases/<slug:reference>/incidents/check-location/",
        IncidentLocationCheckPage.as_view(),
        name="incident-location-check",
    ),
    path("cases/<slug:reference>/incidents/<int:incident>/", IncidentDetailPage.as_view(), name="incident-detail"),
    path("cases/<slug:reference>/incidents/<int:incident>/edit/", IncidentEditPage.as_view(), name="incident-edit"),
    path(
        "cases/<slug:reference>/incidents/<int:incident>/evidence/",
        IncidentEvidenceLinkPage.as_view(),
        name="incident-evidence-link",
    ),
    path("cases/<slug:reference>/upload/", UploadPage.as_view(), name="upload"),
    path("cases/<slug:reference>/upload/receipt/", ReceiptPage.as_view(), name="upload-receipt"),
    path("cases/<slug:reference>/uploads/", UploadCollectionPage.as_view(), name="uploads"),
    path("cases/<slug:reference>/uploads/<uuid:upload>/", UploadResourcePage.as_view(), name="upload-resource"),
    path("cases/<slug:reference>/evidence/", EvidenceListPage.as_view(), name="evidence-list"),
    path("cases/<slug:reference>/evidence/<int:evidence>/", EvidenceDetailPage.as_view(), name="evidence-detail"),
    path("cases/<slug:reference>/evidence/<int:evidence>/media/", EvidenceMediaPage.as_view(), name="evidence-media"),
    path(
        "cases/<slug:reference>/evidence/<int:evidence>/graphic/",
        EvidenceGraphicPage.as_view(),
        name="evidence-graphic",
    ),
    path("cases/<slug:reference>/witnesses/", ProtectedPersonListPage.as_view(), name="protected-person-list"),
    path(
        "cases/<slug:reference>/witnesses/<int:protected_person>/",
        ProtectedPersonPage.as_view(),
        name="protected-person-detail",
    ),
    path(
        "cases/<slug:reference>/witnesses/<int:protected_person>/reveal/",
        ProtectedPersonRevealPage.as_view(),
        name="protected-person-reveal",
    ),
]
