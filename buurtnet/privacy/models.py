from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
    CHARTER = "charter", _("Network charter")
    # Purposes a person can agree to and withdraw one by one (GDPR art. 7(3)).
    SMS = "sms", _("Receiving text messages (SMS) on my mobile number")
    VOICE = "voice", _("Receiving voice calls on my mobile number")
    PUSH = "push", _("Receiving push notifications on my devices")


# The purposes a person can withdraw on their own, and the version of the wording they agree
# to. Raise a version when the text changes: the consent then records which one was given.
PURPOSES = (ConsentKind.SMS, ConsentKind.VOICE, ConsentKind.PUSH)
PURPOSE_VERSIONS = {ConsentKind.SMS: "1", ConsentKind.VOICE: "1", ConsentKind.PUSH: "1"}
# The channels (people.Channel) each purpose allows; withdrawing it removes them at once.
PURPOSE_CHANNELS = {
    ConsentKind.SMS: ("sms",),
    ConsentKind.VOICE: ("voice",),
    ConsentKind.PUSH: ("push",),
}


class Consent(models.Model):
    """A person's agreement to one version of a document, kept as evidence (GDPR art. 7)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=20)
    network = models.ForeignKey(
        "networks.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["person", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="charter") | models.Q(network__isnull=False),
                name="consent_charter_names_network",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_kind_display()} {self.version}"
