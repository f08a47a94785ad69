from django.urls import path

from . import channel_views, unsubscribe

app_name = "channels"
urlpatterns = [
    path("push/", channel_views.push_settings, name="push"),
    path("push/subscribe", channel_views.push_subscribe, name="push_subscribe"),
    path("push/<int:pk>/remove", channel_views.push_remove, name="push_remove"),
    path("sw.js", channel_views.service_worker, name="service_worker"),
    path("unsubscribe/<str:token>", unsubscribe.unsubscribe, name="unsubscribe"),
]
