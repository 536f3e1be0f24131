from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(("api.urls", "api"), namespace="api")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the workspace's language switch
    path("", include("web.urls")),  # the workspace, at the root: last, so it claims no other prefix
]

# Under /api/ errors are JSON, whatever raised them; elsewhere (the admin) they are Django's pages.
handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.page_not_found"
handler500 = "api.exceptions.server_error"
