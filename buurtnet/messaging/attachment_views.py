"""Serving a message's attachment to whoever may read the message."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from buurtnet.common.private_files import download
from buurtnet.people.models import Person

from . import services
from .models import Message, MessageStatus, Recipient


def may_read(person: Person, message: Message) -> bool:
    """The people who see the message on a page: its recipients once it is sent, whoever
    follows it up (sender, police of its BINs, zone staff), and whoever must approve it."""
    return (
        services.can_manage(person, message)
        or Recipient.objects.filter(
            message=message, person=person, message__status=MessageStatus.SENT
        ).exists()
        or services.approval_queue(person).filter(pk=message.pk).exists()
    )


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Always a download; someone who may not read the message gets the same 404 as for a
    message that does not exist."""
    message = Message.objects.filter(pk=pk).first()
    if message is None or not message.attachment or not may_read(request.user, message):
        raise Http404
    name = message.attachment_name or "attachment"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return download(request, message.attachment, name, content_type)
