from django.contrib import admin
from django.urls import include, path

from piwarden.api import api
from piwarden.dashboard import views as dashboard_views
from piwarden.discovery import views as discovery_views
from piwarden.roles import second_factor_views
from piwarden.web import views

admin.site.site_header = "piwarden console"
admin.site.site_title = "piwarden"

urlpatterns = [
    path("", views.home, name="home"),
    path("developers/", views.developers, name="developers"),
    path("healthz", views.healthz, name="healthz"),
    path("status", views.status, name="status"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/second-factor/", second_factor_views.enrol_view, name="staff_second_factor"),
    path("admin/dashboard/", admin.site.admin_view(dashboard_views.dashboard),
         name="console_dashboard"),
    path("admin/discovery/scan/", admin.site.admin_view(discovery_views.scan),
         name="discovery_scan"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("account/", include("piwarden.accounts.urls")),
    path("privacy/requests/", include("piwarden.rights.urls")),
    path("privacy/data/", include("piwarden.subjectdata.urls")),
    path("privacy/sharing/", include("piwarden.sharing.urls")),
    path("privacy/messages/", include("piwarden.notify.urls")),
    path("privacy/", include("piwarden.policy.urls")),
    path("privacy/", include("piwarden.consent.urls")),
    path("sites/", include("piwarden.sites.urls")),
    path("stories/", include("piwarden.publication.urls")),
    path("contact/", include("piwarden.leads.urls")),
    path("campaigns/", include("piwarden.campaigns.urls")),
    path("partners/", include("piwarden.partners.urls")),
    path("payments/", include("piwarden.payments.urls")),
    path("collection/", include("piwarden.collection.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = views.not_found
