from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import OutboxMessage


def outbox(request: HttpRequest) -> HttpResponse:
    """The local outbox, for the demo: read the e-mails and SMS the platform "sent".

    Off unless OUTBOX_PAGE_ENABLED: on a real installation it would show everyone's mail.
    """
    if not settings.OUTBOX_PAGE_ENABLED:
        raise Http404
    return render(request, "delivery/outbox.html", {"outbox": OutboxMessage.objects.all()[:100]})
