"""The privacy app's answers to what other apps announce."""

from django.dispatch import receiver

from buurtnet.networks.signals import applied

from .services import record_join_consents


@receiver(applied)
def record_consents_of_application(sender, membership, **kwargs) -> None:
    """In the application's own transaction: it fails, and is rolled back, without them."""
    record_join_consents(membership.person, membership.network)
