from django.urls import path

from . import audit_views

# The URL names keep the audit namespace (`audit:search`): the page is the audit log.
app_name = "audit"

urlpatterns = [
    path("", audit_views.search, name="search"),
]
