from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.assessments.views import AssessmentViewSet, ReviewQueueViewSet
from api.auth.views import TokenDetailView, TokenListView, TokenView, TotpConfirmView, TotpView
from api.cases.views import AuditViewSet, CaseViewSet
from api.checkpoints.views import CheckpointViewSet
from api.evidence.views import EvidenceViewSet
from api.health import HealthView
from api.packages.views import ExportProfileViewSet, ExportViewSet
from api.record.views import (
    AdminAreaViewSet,
    AllegationViewSet,
    CrimeViewSet,
    IncidentViewSet,
    NationalOffenceViewSet,
    PersonViewSet,
    UnitViewSet,
)
from api.users.views import PasswordChangeView, UserViewSet
from api.witnesses.views import VictimViewSet, WitnessViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("persons", PersonViewSet, basename="person")
router.register("units", UnitViewSet, basename="unit")
router.register("allegations", AllegationViewSet, basename="allegation")
router.register("admin-areas", AdminAreaViewSet, basename="admin-area")
router.register("crimes", CrimeViewSet, basename="crime")
router.register("national-offences", NationalOffenceViewSet, basename="national-offence")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("exports", ExportViewSet, basename="export")
router.register("export-profiles", ExportProfileViewSet, basename="export-profile")
router.register("audit", AuditViewSet, basename="audit")
router.register("witnesses", WitnessViewSet, basename="witness")
router.register("victims", VictimViewSet, basename="victim")
router.register("users", UserViewSet, basename="user")
router.register("checkpoints", CheckpointViewSet, basename="checkpoint")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("reviews", ReviewQueueViewSet, basename="review")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/tokens/", TokenListView.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="auth-token-detail"),
    path("auth/totp/", TotpView.as_view(), name="auth-totp"),
    path("auth/totp/confirm/", TotpConfirmView.as_view(), name="auth-totp-confirm"),
    path("auth/password/", PasswordChangeView.as_view(), name="auth-password"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: config.security).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"), name="redoc"),
    path("", include(router.urls)),
]
