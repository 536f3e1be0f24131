"""The admin application, with Slid's admin site (evidence.admin_site) as ``admin.site``. Kept apart
from the site itself: this module is imported while the applications load, before models can be."""

from django.contrib.admin.apps import AdminConfig


class SlidAdminConfig(AdminConfig):
    default_site = "evidence.admin_site.SlidAdminSite"
