from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from buurtnet.delivery.views import outbox
from buurtnet.operations import views as operations_views

from . import views

handler400 = views.bad_request

# The admin logs in through allauth, so the second factor applies there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", operations_views.readyz, name="readyz"),
    path("metrics", operations_views.metrics_view, name="metrics"),
    path("outbox/", outbox, name="outbox"),
    path("hooks/", include("buurtnet.delivery.hooks_urls")),
    path("channels/", include("buurtnet.delivery.channel_urls")),
    path("messages/", include("buurtnet.messaging.urls")),
    path("plans/", include("buurtnet.plans.urls")),
    path("reports/", include("buurtnet.reports.urls")),
    path("prevention/", include("buurtnet.prevention.urls")),
    path("absences/", include("buurtnet.absences.urls")),
    path("audit/", include("buurtnet.privacy.audit_urls")),
    path("retention/", include("buurtnet.retention.urls")),
    path("privacy/", include("buurtnet.privacy.urls")),
    path("governance/", include("buurtnet.governance.urls")),
    path("surveys/", include("buurtnet.surveys.urls")),
    path("insights/", include("buurtnet.insights.urls")),
    path("cap/", include("buurtnet.cap.urls")),
    path("webhooks/", include("buurtnet.webhooks.urls")),
    path("api/v1/", include("buurtnet.api.urls")),
    path("me/api-tokens/", include("buurtnet.api.web_urls")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("buurtnet.people.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("buurtnet.networks.urls")),
]
