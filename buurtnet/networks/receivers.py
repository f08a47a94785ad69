"""Police and staff sessions end after a working shift; members keep theirs for two weeks
on their own phone (SESSION_COOKIE_AGE). Decided once, at log-in, so no request pays for it.

Here rather than in `people` (where log-in lives) because who is police or staff is the
networks' `Standing`."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from .permissions import Standing


@receiver(user_logged_in)
def limit_staff_session(sender, request, user, **kwargs) -> None:
    if request is not None and Standing.of(user).is_police_or_staff:
        # A moment, not a duration: a duration would start again at every saved request.
        ends = timezone.now() + timedelta(seconds=settings.STAFF_SESSION_SECONDS)
        request.session.set_expiry(ends)
