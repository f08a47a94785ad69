from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Channel is delivery's word for a way to reach a person; many apps import it from here.
from buurtnet.delivery.models import Channel
from buurtnet.delivery.phones import (
    LANDLINE,
    MOBILE,
    SPECIAL,
    can_receive_calls,
    can_receive_sms,
    number_facts,
    validate_phone,
)


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


def default_channels() -> list[str]:
    return [Channel.EMAIL, Channel.INAPP]


class PersonManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "Person":
        if not email:
            raise ValueError("A person needs an e-mail address to log in.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "Person":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: residents, coordinators, officers, zone and municipal staff.

    Roles are not stored here: they come from memberships of a network and from
    assignments to a zone or municipality, so that every permission is checked
    against the object it concerns.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        validators=[validate_phone],
        help_text=_("For example 0470 12 34 56 or +32 470 12 34 56."),
    )
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    # Derived from phone on every save (see `save`), for the SQL that picks who gets a
    # text or a call: the same rule as `can_receive_sms` / `can_receive_calls`.
    phone_region = models.CharField(
        _("phone number's country"), max_length=3, blank=True, editable=False
    )
    phone_kind = models.CharField(
        _("kind of phone number"),
        max_length=8,
        blank=True,
        editable=False,
        choices=[
            (MOBILE, _("Mobile")),
            (LANDLINE, _("Landline")),
            (SPECIAL, _("Special number")),
        ],
    )
    street = models.CharField(_("street"), max_length=120, blank=True)
    house_number = models.CharField(_("house number"), max_length=12, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    city = models.CharField(_("municipality"), max_length=80, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    channels = models.JSONField(_("channels"), default=default_channels, blank=True)
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("platform administrator"),
        default=False,
        help_text=_("Can log in to the Django admin of the whole installation."),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="person_point_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").lower()
        if "phone" not in self.get_deferred_fields():
            self.phone_region, self.phone_kind = number_facts(self.phone)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "phone" in update_fields:
                kwargs["update_fields"] = {*update_fields, "phone_region", "phone_kind"}
        super().save(*args, **kwargs)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def phone_verified(self) -> bool:
        return bool(self.phone) and self.phone_verified_at is not None

    @property
    def can_receive_sms(self) -> bool:
        """A confirmed mobile number of an allowed country: a landline never gets a text."""
        return self.phone_verified and can_receive_sms(self.phone)

    @property
    def can_receive_calls(self) -> bool:
        """A confirmed mobile or landline number of an allowed country."""
        return self.phone_verified and can_receive_calls(self.phone)

    @property
    def address_line(self) -> str:
        street = " ".join(p for p in [self.street, self.house_number] if p)
        place = " ".join(p for p in [self.postcode, self.city] if p)
        return ", ".join(p for p in [street, place] if p)


class PhoneVerification(models.Model):
    """A one-time code sent by SMS to prove a person holds the phone number they gave."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} ({self.created_at:%Y-%m-%d %H:%M})"
