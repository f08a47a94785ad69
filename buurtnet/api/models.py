"""Personal API tokens.

A token is `bn_<prefix>_<secret>`. The prefix is public (it is shown on the settings page
and finds the row); only a SHA-256 of the whole token is stored. The secret has 256 bits
of randomness, so a fast hash is enough: nobody can guess their way back from it.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "bn"  # noqa: S105 (a marker, not a secret)
MAX_LIFETIME = timedelta(days=366)  # "at most one year", leap years included


class Scope(models.TextChoices):
    NETWORKS_READ = "networks:read", _("See your BINs and their areas")
    MEMBERS_READ = "members:read", _("See member lists, as your role allows")
    MESSAGES_READ = "messages:read", _("See messages you may manage and their delivery")
    MESSAGES_WRITE = "messages:write", _("Send, schedule and cancel messages")
    REPORTS_READ = "reports:read", _("See reports, as your role allows")
    REPORTS_WRITE = "reports:write", _("File reports and triage them")
    TIPS_READ = "tips:read", _("See published prevention tips")
    CAP_READ = "cap:read", _("Read alerts as CAP 1.2 documents")
    CAP_WRITE = "cap:write", _("Import CAP alerts")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=80, help_text=_("What the token is for."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Made in a session that passed the second factor (a TOTP code or a passkey at log-in,
    # or a re-authentication with one). Police and staff may use only such tokens.
    second_factor = models.BooleanField(
        _("made after a second factor"), default=False, editable=False
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def clean(self) -> None:
        unknown = set(self.scopes) - set(Scope.values)
        if unknown:
            raise ValidationError({"scopes": _("Unknown scope.")})
        if not self.scopes:
            raise ValidationError({"scopes": _("Choose at least one scope.")})
        created = self.created_at or timezone.now()
        if self.expires_at is not None:
            if self.expires_at <= created:
                raise ValidationError({"expires_at": _("The expiry must be in the future.")})
            if self.expires_at > created + MAX_LIFETIME:
                raise ValidationError({"expires_at": _("A token may live at most one year.")})

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def scope_labels(self) -> list[str]:
        """The scopes in words, for pages (the codes are for the API)."""
        return [str(Scope(scope).label) for scope in self.scopes if scope in Scope.values]

    @staticmethod
    def new_secret() -> tuple[str, str]:
        """A fresh (prefix, full token)."""
        prefix = secrets.token_hex(4)
        return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_token(token))
