from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api import views
from api.health import HealthView

router = DefaultRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("persons", views.PersonViewSet, basename="person")
router.register("units", views.UnitViewSet, basename="unit")
router.register("allegations", views.AllegationViewSet, basename="allegation")
router.register("admin-areas", views.AdminAreaViewSet, basename="admin-area")
router.register("crimes", views.CrimeViewSet, basename="crime")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("exports", views.ExportViewSet, basename="export")
router.register("export-profiles", views.ExportProfileViewSet, basename="export-profile")
router.register("audit", views.AuditViewSet, basename="audit")
router.register("witnesses", views.WitnessViewSet, basename="witness")
router.register("victims", views.VictimViewSet, basename="victim")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/totp/", views.TotpView.as_view(), name="auth-totp"),
    path("auth/totp/confirm/", views.TotpConfirmView.as_view(), name="auth-totp-confirm"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]
