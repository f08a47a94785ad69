from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import basemap, geo


class PoliceZone(models.Model):
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("code"), max_length=10, unique=True, help_text=_("The zone number, e.g. 5415.")
    )
    map_tiles = models.CharField(
        _("base map"),
        max_length=500,
        blank=True,
        help_text=_(
            "Empty: the installation's base map. Else “cartoweb”, “osm”, “none” or a tile "
            "address such as https://tiles.example.org/{z}/{x}/{y}.png."
        ),
    )
    map_tiles_attribution = models.CharField(
        _("base map attribution"),
        max_length=200,
        blank=True,
        help_text=_("The source and licence of your own tiles, shown on every map."),
    )

    class Meta:
        verbose_name = _("police zone")
        verbose_name_plural = _("police zones")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.map_tiles.strip():
            return
        try:
            basemap.build(self.map_tiles, self.map_tiles_attribution)
        except ValidationError as exc:
            on_attribution = exc.code in ("attribution_required", "attribution_characters")
            field = "map_tiles_attribution" if on_attribution else "map_tiles"
            raise ValidationError({field: exc.messages}) from exc
        self.map_tiles = basemap.normalise_template(self.map_tiles)


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=120)
    nis_code = models.CharField(
        _("NIS code"), max_length=5, unique=True, help_text=_("Five digits, e.g. 34022.")
    )
    zone = models.ForeignKey(
        PoliceZone,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("police zone"),
    )
    area = models.JSONField(
        _("outline"),
        null=True,
        blank=True,
        help_text=_(
            "An approximate outline as a GeoJSON polygon in WGS 84; a BIN area drawn outside "
            "the zone's municipalities is refused."
        ),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nis_code__regex=r"^[0-9]{5}$"), name="municipality_nis_5_digits"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.area is None:
            return
        try:
            geo.validate_area(self.area)
        except ValidationError as exc:
            raise ValidationError({"area": exc.messages}) from exc


class NetworkKind(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    SELF_EMPLOYED = "self_employed", _("Self-employed (BIN-Z)")
    FARMERS = "farmers", _("Farmers")
    SCHOOLS = "schools", _("Schools")
    OTHER = "other", _("Other")


class NetworkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    FOUNDING = "founding", _("Founding")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    DISSOLVED = "dissolved", _("Dissolved")


# A citizen can apply to a network that is being founded or running, not to one that ended.
JOINABLE_STATUSES = (NetworkStatus.FOUNDING, NetworkStatus.ACTIVE, NetworkStatus.DORMANT)

# The one status machine of a BIN: proposed until its information session, founding until
# the agreement is signed, then active, or dormant while it has no coordinator. Any BIN can
# be dissolved; a dissolved one stays so.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    NetworkStatus.PROPOSED: frozenset({NetworkStatus.FOUNDING, NetworkStatus.DISSOLVED}),
    NetworkStatus.FOUNDING: frozenset({NetworkStatus.ACTIVE, NetworkStatus.DISSOLVED}),
    NetworkStatus.ACTIVE: frozenset({NetworkStatus.DORMANT, NetworkStatus.DISSOLVED}),
    NetworkStatus.DORMANT: frozenset({NetworkStatus.ACTIVE, NetworkStatus.DISSOLVED}),
    NetworkStatus.DISSOLVED: frozenset(),
}


class Network(models.Model):
    """One buurtinformatienetwerk (BIN)."""

    name = models.CharField(_("name"), max_length=150)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="networks",
        verbose_name=_("municipality"),
    )
    kind = models.CharField(
        _("type"), max_length=20, choices=NetworkKind.choices, default=NetworkKind.RESIDENTS
    )
    area = models.JSONField(_("area"), help_text=_("A GeoJSON polygon in WGS 84."))
    # Bounding box of the area, kept in sync on save, so that "which BINs cover this
    # point" is an indexed range query before shapely looks at the few candidates.
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=NetworkStatus.choices, default=NetworkStatus.PROPOSED
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    charter = models.TextField(
        _("charter"), blank=True, help_text=_("The rules members agree to when they join.")
    )
    charter_version = models.PositiveIntegerField(_("charter version"), default=1)
    area_public = models.BooleanField(
        _("area shown on public maps"),
        default=True,
        help_text=_("The municipality's maps and the zone's GeoJSON show this BIN's area."),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        default="nl",
        help_text=_("Members get messages in their own language, or else in this one."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("network (BIN)")
        verbose_name_plural = _("networks (BIN)")
        ordering = ["name"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="network_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        box = geo.bounding_box(self.area)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = (
            box.min_lon,
            box.min_lat,
            box.max_lon,
            box.max_lat,
        )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        try:
            geo.validate_area(self.area)
        except ValidationError as exc:
            raise ValidationError({"area": exc.messages}) from exc

    def contains(self, longitude: float, latitude: float) -> bool:
        return geo.contains(self.area, longitude, latitude)

    def check_move(self, status: str) -> None:
        """Refuse a status the BIN cannot reach from the one it has (ALLOWED_MOVES)."""
        if status not in ALLOWED_MOVES[self.status]:
            raise ValidationError(
                _("A BIN cannot go from “%(old)s” to “%(new)s”.")
                % {"old": self.get_status_display(), "new": NetworkStatus(status).label},
                code="illegal_move",
            )

    def move_to(self, status: str, *, by=None, note: str = "") -> "NetworkStatusChange":
        """Move the BIN to its next status and keep the change in its history; every status
        change goes through here, so none skips the guard. Must run in a transaction."""
        self.check_move(status)
        now = timezone.now()
        self.status = status
        self.status_changed_at = now
        self.save(update_fields=["status", "status_changed_at"])
        return NetworkStatusChange.objects.create(
            network=self, status=status, changed_at=now, changed_by=by, note=note[:300]
        )


class NetworkStatusChange(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=12, choices=NetworkStatus.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("changed by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["network", "changed_at"]

    def __str__(self) -> str:
        return f"{self.network} → {self.get_status_display()} ({self.changed_at:%Y-%m-%d})"


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    COORDINATOR = "coordinator", _("Coordinator")
    STEERING = "steering", _("Steering group")
    OFFICER = "officer", _("Mandated officer")


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    PAUSED = "paused", _("Paused")
    DECLINED = "declined", _("Declined")
    LEFT = "left", _("Left")


# Statuses in which a person still belongs to (or is waiting to join) the network.
OPEN_STATUSES = (MembershipStatus.APPLIED, MembershipStatus.APPROVED, MembershipStatus.PAUSED)


class Membership(models.Model):
    """A person's place in one network: their role there and where they stand."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("network")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.APPLIED,
    )
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    motivation = models.CharField(_("message to the coordinator"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [
            models.Index(fields=["network", "status", "role"]),
            models.Index(fields=["person", "status"]),
        ]
        constraints = [
            # One open application or membership per person and network; history
            # (declined, left) is kept, so the constraint is partial.
            models.UniqueConstraint(
                fields=["network", "person"],
                condition=models.Q(status__in=["applied", "approved", "paused"]),
                name="membership_one_open_per_network",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.network} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MembershipChange(models.Model):
    """Every status change of a membership: who, when, why. Feeds the yearly figures."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=10, choices=MembershipStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=MembershipStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")
        ordering = ["membership", "changed_at"]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.from_status or '-'} → {self.to_status}"


class ZoneStaff(models.Model):
    """A person working for the police zone (dispatching, communication, management)."""

    zone = models.ForeignKey(PoliceZone, on_delete=models.CASCADE, related_name="staff")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="zone_staff"
    )
    function = models.CharField(_("function"), max_length=120, blank=True)
    is_chief = models.BooleanField(
        _("chief of police"),
        default=False,
        help_text=_("The chief of police (korpschef) issues written reprimands to coordinators."),
    )

    class Meta:
        verbose_name = _("zone staff member")
        verbose_name_plural = _("zone staff")
        constraints = [
            models.UniqueConstraint(fields=["zone", "person"], name="zone_staff_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.zone}"


class MunicipalPartner(models.Model):
    """A person of the municipality (prevention service) partnering with its BINs."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="partners"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="municipal_partner"
    )
    function = models.CharField(_("function"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("municipal partner")
        verbose_name_plural = _("municipal partners")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "person"], name="municipal_partner_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.municipality}"


class Street(models.Model):
    """A street of the local gazetteer, used to turn an address into a point.

    House numbers are interpolated along the street's segment, as address
    registries do when they lack a point per house. Production installations
    load their municipalities' streets from the regional address registry.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="streets")
    name = models.CharField(_("street"), max_length=120)
    postcode = models.CharField(_("postcode"), max_length=4)
    start_lon = models.FloatField()
    start_lat = models.FloatField()
    end_lon = models.FloatField()
    end_lat = models.FloatField()
    highest_number = models.PositiveIntegerField(default=100)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        indexes = [
            models.Index(fields=["postcode", "name"]),
            # services.nearest_address looks for streets by where they start or end.
            models.Index(fields=["start_lat", "start_lon"]),
            models.Index(fields=["end_lat", "end_lon"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode} {self.municipality}"

    def locate(self, number: int) -> tuple[float, float]:
        """(longitude, latitude) of house number along the street."""
        share = min(max(number, 1), self.highest_number) / max(self.highest_number, 1)
        return (
            self.start_lon + (self.end_lon - self.start_lon) * share,
            self.start_lat + (self.end_lat - self.start_lat) * share,
        )
