from django.conf import settings


def site(request) -> dict:
    return {"OUTBOX_PAGE_ENABLED": settings.OUTBOX_PAGE_ENABLED}
