from django.urls import path

from . import feeds, views
from .attachment_views import attachment

app_name = "messaging"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("new/", views.compose, name="compose"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/attachment/", attachment, name="attachment"),
    path("forward/<int:pk>/", views.forward, name="forward"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_item, name="inbox_item"),
    path("inbox/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # Before the token pattern: a token always holds a ":", never only digits.
    path("seen/<int:pk>/", views.seen_message, name="seen_message"),
    path("seen/<str:token>/", views.seen, name="seen"),
    path("networks/<int:network_id>/notices/", feeds.notices_page, name="public_notices"),
    path("networks/<int:network_id>/notices.atom", feeds.notices_feed, name="notices_feed"),
]
