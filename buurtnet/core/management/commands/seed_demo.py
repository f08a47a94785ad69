"""Seed a realistic demo police zone: 3 municipalities, 30 BINs, streets and N members.

Everything is derived from one seeded random generator, so two runs on empty databases
give the same zone, networks, streets and people (only the dates move with "now").
Running it again on a database that already holds the demo zone changes nothing.
"""

import math
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock

import shapely
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from shapely.geometry import LineString, MultiPoint, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from buurtnet.common.rule import Rule
from buurtnet.networks import geo
from buurtnet.networks.models import (
    Membership,
    MembershipChange,
    MembershipStatus,
    Municipality,
    MunicipalPartner,
    Network,
    NetworkKind,
    NetworkStatus,
    NetworkStatusChange,
    PoliceZone,
    Role,
    Street,
    ZoneStaff,
)
from buurtnet.people.models import Channel, Language, Person
from buurtnet.people.phones import MOBILE, normalize_phone, number_facts
from buurtnet.privacy.models import Consent, ConsentKind

SEED = 5999
ZONE_CODE = "5999"
ZONE_NAME = "Politiezone Leiestreek (demo)"
DEMO_PASSWORD = "buurtnet-demo"
# 32 base32 characters (20 bytes, the usual length). Shared by the demo staff accounts.
DEMO_TOTP_SECRET = "BUURTNETDEMOTOTPBUURTNETDEMOTOTP"
DEMO_DOMAIN = "demo.buurtnet.be"
MEMBER_DOMAIN = f"leden.{DEMO_DOMAIN}"
BATCH = 5000

ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
ZONE_EMAIL = f"zone@{DEMO_DOMAIN}"
OFFICER_EMAIL = f"officer@{DEMO_DOMAIN}"
COORDINATOR_EMAIL = f"coordinator@{DEMO_DOMAIN}"
MEMBER_EMAIL = f"member@{DEMO_DOMAIN}"
MUNICIPAL_EMAIL = f"municipal@{DEMO_DOMAIN}"
# The named log-ins, in the order demo_logins prints them: (e-mail, name, role, needs TOTP).
NAMED_LOGINS = [
    (ADMIN_EMAIL, "Ann De Smet", "platform administrator (superuser)", True),
    (ZONE_EMAIL, "Koen Vandenberghe", f"zone staff of {ZONE_NAME}", True),
    (OFFICER_EMAIL, "Inspecteur Sofie Maes", "mandated officer of the first 4 BINs", True),
    (COORDINATOR_EMAIL, "Luc Vermeulen", "coordinator of the first BIN", False),
    (MEMBER_EMAIL, "Els Claeys", "member of the first BIN", False),
    (MUNICIPAL_EMAIL, "Nathalie Desmet", "municipal partner of Kortrijk", True),
]

# The demo's geography follows the real places, so that it makes sense on a street map. The
# outlines are drawn by hand from memory and public descriptions: a few hundred metres off
# here and there, which is fine for a demo and wrong for anything else.
# name, NIS code, outline corners ([lon, lat], WGS 84). Each outline is clipped against the
# ones before it, so that they cannot overlap.
# fmt: off
MUNICIPALITIES = [
    # Kortrijk with Heule (north), Bissegem (west), Marke, Aalbeke (south-west), Rollegem,
    # Bellegem and Kooigem (south).
    ("Kortrijk", "34022", [
        (3.198, 50.835), (3.205, 50.852), (3.220, 50.862), (3.240, 50.868), (3.252, 50.860),
        (3.266, 50.856), (3.270, 50.840), (3.285, 50.838), (3.298, 50.842), (3.310, 50.834),
        (3.316, 50.818), (3.310, 50.800), (3.315, 50.780), (3.330, 50.760), (3.338, 50.743),
        (3.325, 50.731), (3.300, 50.732), (3.282, 50.744), (3.262, 50.750), (3.238, 50.759),
        (3.214, 50.766), (3.198, 50.782), (3.202, 50.800), (3.205, 50.815),
    ]),
    # Kuurne, north of the ring road and west of the Leie, with its arm to Sente (Sint-Katrien).
    ("Kuurne", "34023", [
        (3.236, 50.870), (3.252, 50.858), (3.266, 50.854), (3.268, 50.838), (3.285, 50.837),
        (3.296, 50.841), (3.297, 50.855), (3.300, 50.868), (3.295, 50.878), (3.283, 50.881),
        (3.270, 50.876), (3.254, 50.874), (3.240, 50.873),
    ]),
    ("Lendelede", "34025", [
        (3.212, 50.860), (3.240, 50.866), (3.256, 50.873), (3.268, 50.879), (3.270, 50.892),
        (3.258, 50.902), (3.240, 50.905), (3.220, 50.900), (3.207, 50.889), (3.205, 50.873),
    ]),
]
# fmt: on

RES, BIZ, FARM, SCHOOL, OTHER = (
    NetworkKind.RESIDENTS,
    NetworkKind.SELF_EMPLOYED,
    NetworkKind.FARMERS,
    NetworkKind.SCHOOLS,
    NetworkKind.OTHER,
)
ACT, FOU, DOR, PRO = (
    NetworkStatus.ACTIVE,
    NetworkStatus.FOUNDING,
    NetworkStatus.DORMANT,
    NetworkStatus.PROPOSED,
)


@dataclass(frozen=True)
class Place:
    """A demo BIN: the real centre of the place its name refers to (its Voronoi seed), the
    postcode of its addresses and real street names of that place (unique per postcode,
    so that the gazetteer finds one street by postcode and name)."""

    name: str
    kind: str
    status: str
    seed: tuple[float, float]
    postcode: str
    streets: tuple[str, ...]


# fmt: off
# Municipality by municipality; the first is the BIN of the named coordinator and member.
NETWORKS = {
    "Kortrijk": [
        Place("BIN Sint-Elisabeth", RES, ACT, (3.2750, 50.8340), "8500", (
            "Gentsesteenweg", "Havenkaai", "Meersstraat", "Schorsmolenstraat",
            "Dokter Snellaertstraat", "Evarist Carpentierlaan", "Kaarsengietersstraat",
            "Maria Desmetplein")),
        Place("BIN Overleie", RES, ACT, (3.2560, 50.8330), "8500", (
            "Overleiestraat", "Budastraat", "Kapucijnenstraat", "Meensestraat",
            "Graaf de Smet de Nayerlaan", "Vlaskaai", "Noordstraat", "Iepersestraat")),
        Place("BIN Heule-Centrum", RES, ACT, (3.2370, 50.8390), "8501", (
            "Heulsekasteelstraat", "Pastoriestraat", "Gullegemsestraat", "Lagaeplein",
            "Zeger van Heulestraat", "Zuidstraat", "Peperstraat", "Abeeldreef")),
        # The old village on the Heulebeek where the Brugsesteenweg crosses it.
        Place("BIN Heule-Watermolen", RES, ACT, (3.2600, 50.8510), "8501", (
            "Watermolenwal", "Izegemsestraat", "Hoge Dreef", "Vlaanderenstraat", "Molenstraat",
            "Brugsesteenweg")),
        Place("BIN Bissegem", RES, ACT, (3.2240, 50.8250), "8501", (
            "Bissegemplaats", "Meensesteenweg", "Driekerkenstraat", "Gullegemsesteenweg",
            "Neerbeekstraat", "Kerkvoetweg", "Oliemolenstraat", "Bissegemsestraat",
            "Zwingelaarsstraat")),
        Place("BIN Marke", RES, ACT, (3.2330, 50.8060), "8510", (
            "Markeplaats", "Marktstraat", "Markekerkstraat", "Markebekestraat",
            "Rekkemsestraat", "Van Belleghemdreef", "Rodedreef", "Abdis Agnesstraat",
            "Hektor Casteleinstraat")),
        Place("BIN Aalbeke", RES, ACT, (3.2250, 50.7790), "8511", (
            "Aalbekeplaats", "Bergstraat", "Lauwsestraat", "Sterrestraat", "Scheermolenerf",
            "Garenwinderstraat", "Lampestraat")),
        Place("BIN Rollegem", RES, DOR, (3.2700, 50.7640), "8510", (
            "Rollegemplaats", "Rollegemkerkstraat", "Tombroekstraat", "Aalbeeksestraat",
            "Kleine Kannestraat", "Schreiboomstraat", "Munkendoornstraat", "Foreststraat",
            "Beekweg")),
        Place("BIN Bellegem", RES, ACT, (3.2800, 50.7770), "8510", (
            "Bellegemplaats", "Bellegemsestraat", "Bellegemkerkdreef", "Dottenijsestraat",
            "Manpadstraat", "Leuzestraat", "Roodhuisweg", "Wallestraat", "Sint-Pietersweg")),
        Place("BIN Lange Munte", RES, ACT, (3.2830, 50.8230), "8500", (
            "Morinnestraat", "Baaistraat", "Beeklaan", "Maurits Maeterlincklaan",
            "Thomas Edisonlaan", "Dirk Martenslaan", "Louis Pasteurlaan", "Leo Baekelandlaan")),
        # 't Hoge: the university and college campus, Kennedypark and the hospital.
        Place("BIN Hoog Kortrijk", RES, FOU, (3.2950, 50.8060), "8500", (
            "Etienne Sabbelaan", "Maandagweg", "President Kennedylaan", "President Kennedypark",
            "Beneluxpark", "'t Hoge")),
        Place("BIN Walle", RES, ACT, (3.2680, 50.8180), "8500", (
            "Walle", "Wolvendreef", "Doorniksesteenweg", "Burgemeester Pyckestraat",
            "Ferdinand Van Eeckhoutstraat", "Condédreef")),
        # Sint-Jan Baptist stands on the Sint-Jansplein, on the Groeninge field east of the
        # centre.
        Place("BIN Sint-Jan", RES, ACT, (3.2790, 50.8290), "8500", (
            "Sint-Jansplein", "Sint-Janslaan", "Groeningelaan", "Zwevegemsestraat",
            "Sint-Antoniusstraat", "Pluimstraat", "Slachthuisstraat")),
        Place("BIN-Z Handelskern Kortrijk", BIZ, ACT, (3.2649, 50.8279), "8500", (
            "Grote Markt", "Lange Steenstraat", "Korte Steenstraat", "Doorniksestraat",
            "Rijselsestraat", "Leiestraat", "Voorstraat", "Wijngaardstraat", "Sint-Jansstraat")),
        # The shops and businesses of Kortrijk-Noord on the Heule side of the ring road.
        Place("BIN-Z Kortrijk-Noord", BIZ, ACT, (3.2550, 50.8445), "8501", (
            "Heulemeersen", "Sint-Joblaan", "Herman Roelstraetestraat", "Salamanderstraat",
            "Peter Benoitlaan", "Kortrijkstraat")),
        Place("BIN Landbouw Kooigem", FARM, ACT, (3.3050, 50.7410), "8510", (
            "Kooigemplaats", "Koninklijkestraat", "Lentewijk", "Molentjesstraat", "Dreupelhoek",
            "Doornikserijksweg", "Aubettestraat")),
        # The schools and colleges between the station and the Leie.
        Place("BIN Scholen Kortrijk-Centrum", SCHOOL, ACT, (3.2580, 50.8225), "8500", (
            "Graaf Karel de Goedelaan", "Minister Tacklaan", "Stationsplein", "Romeinselaan",
            "Potterijstraat", "Veemarkt", "Spoorweglaan", "Tuinstraat", "Conservatoriumplein")),
        # Pottelberg: the south-western exit road towards the ring and Aalbeke.
        Place("BIN Pottelberg", RES, PRO, (3.2540, 50.8135), "8500", (
            "Pottelberg", "Hellestraat", "Abdijmolenweg", "Aalbeeksesteenweg", "Ringlaan",
            "Renaat de Rudderlaan")),
    ],
    "Kuurne": [
        Place("BIN Kuurne-Centrum", RES, ACT, (3.2840, 50.8515), "8520", (
            "Marktplein", "Kerkstraat", "Generaal Eisenhowerstraat", "Koning Albertstraat",
            "Weggevoerdenplein", "Twaalfde-Liniestraat", "Luitenant-Generaal Gérardstraat",
            "Heilige Hartstraat", "Gasthuisstraat")),
        # The Sint-Pieter parish along the Brugsesteenweg ('t Hoge and Katte).
        Place("BIN Sint-Pieter Kuurne", RES, ACT, (3.2710, 50.8630), "8520", (
            "Brugsesteenweg", "Sint-Pieterstraat", "Haantjesstraat", "Vijverhoek",
            "Pieter Vinkestraat", "Stokerijstraat", "Boomgaardstraat", "Kouterstraat")),
        Place("BIN Kuurne-Noord", RES, FOU, (3.2860, 50.8690), "8520", (
            "Rijksweg", "Hulstsestraat", "Bavikhoofsestraat", "Grenswachterweg",
            "Steenovenstraat", "Albert Vermoerestraat", "Najaarsweg", "Kattestraat")),
        # The Kuurne part of the Kortrijk-Noord business park along the ring road.
        Place("BIN-Z Industriezone Kuurne", BIZ, ACT, (3.2760, 50.8440), "8520", (
            "Ringlaan", "Noordlaan", "Industrielaan", "Kortrijksestraat", "Heirweg",
            "Groenstraat")),
        # The flax fields towards Sint-Katrien (Sente).
        Place("BIN Landbouw Kuurne", FARM, DOR, (3.2550, 50.8680), "8520", (
            "Sint-Katriensteenweg", "Lendeleedsestraat", "Wandelinglaan", "Veldbosstraat",
            "Abelenstraat", "Kasteelstraat", "Nieuwenhuyse")),
        Place("BIN Sportpark Kuurne", OTHER, PRO, (3.2915, 50.8600), "8520", (
            "Harelbeeksestraat", "Meersstraat", "Leiestraat", "Weidenstraat", "Doornenstraat",
            "Kattebelweg", "Veldmaarschalk Montgomerystraat")),
    ],
    "Lendelede": [
        Place("BIN Lendelede-Centrum", RES, ACT, (3.2375, 50.8857), "8860", (
            "Dorpsplein", "Kasteelstraat", "A. Dassonvillelaan", "Oude Gemeentekoer",
            "Stationsstraat", "Nieuwstraat")),
        # Fewer streets than elsewhere: only names known to be real are used.
        Place("BIN Lendelede-Zuid", RES, ACT, (3.2400, 50.8775), "8860", (
            "Heulsestraat", "Kuurnsestraat", "Kortrijksestraat", "Langemuntelaan",
            "Bergkapel")),
        Place("BIN Lendelede-Noord", RES, FOU, (3.2400, 50.8975), "8860", (
            "Izegemsestraat", "Ingelmunstersestraat", "Rozebeeksestraat",
            "Pastoor De Beirstraat", "Rijksweg", "Beukenlaan")),
        Place("BIN Landbouw Lendelede", FARM, ACT, (3.2170, 50.8830), "8860", (
            "Beiaardstraat", "Winkelsestraat", "Sint-Antoniusstraat", "Roterijstraat",
            "Sentestraat", "Groenstraat")),
        Place("BIN Scholen Lendelede", SCHOOL, ACT, (3.2480, 50.8890), "8860", (
            "Violierstraat", "Kloostertuin", "Emiel Neirynckstraat", "Nelcastraat",
            "Duifhuizenlaan", "Wilgenlaan")),
        Place("BIN Koutermolen", RES, PRO, (3.2600, 50.8850), "8860", (
            "Kwadestraat", "Hulstemolenstraat", "Harelbeeksestraat", "Heirweg",
            "Spoelewielenlaan")),
    ],
}
# fmt: on
# Status paths: how a network got to its current status.
STATUS_PATHS = {
    PRO: [PRO],
    FOU: [PRO, FOU],
    ACT: [PRO, FOU, ACT],
    DOR: [PRO, FOU, ACT, DOR],
}
# How many members a BIN of this kind draws, relative to a residents' BIN.
KIND_WEIGHT = {RES: 1.0, BIZ: 0.35, FARM: 0.2, SCHOOL: 0.15, OTHER: 0.2}
STATUS_WEIGHT = {ACT: 1.0, DOR: 0.5, FOU: 0.25, PRO: 0.0}

CHANNEL_MIXES = [
    ([Channel.EMAIL, Channel.INAPP], 35),
    ([Channel.SMS], 15),
    ([Channel.EMAIL, Channel.SMS], 15),
    ([Channel.INAPP, Channel.PUSH], 12),
    ([Channel.EMAIL], 10),
    ([Channel.SMS, Channel.VOICE], 5),
    ([Channel.EMAIL, Channel.SMS, Channel.INAPP], 8),
]
CHANNEL_CHOICES = [[str(c) for c in mix] for mix, _weight in CHANNEL_MIXES]
CHANNEL_WEIGHTS = [weight for _mix, weight in CHANNEL_MIXES]
MOTIVATIONS = [
    "",
    "",
    "Ik woon hier sinds kort en wil graag op de hoogte blijven.",
    "Er werd vorige maand ingebroken bij de buren.",
    "Ik ben vaak thuis en wil een oogje in het zeil houden.",
    "Nous venons d'emménager dans le quartier.",
    "Graag lid, ook namens mijn partner.",
]
KIND_LINE = {
    RES: "Het netwerk verenigt de bewoners van de wijk.",
    BIZ: "Het netwerk verenigt de handelaars en zelfstandigen van de zone (BIN-Z).",
    FARM: "Het netwerk verenigt de landbouwers van de streek, ook tegen diefstal van materieel.",
    SCHOOL: "Het netwerk verenigt de scholen van de buurt en hun directies.",
    OTHER: "Het netwerk verenigt de gebruikers en uitbaters van het domein.",
}


def charter_text(name: str, municipality: str, kind: str) -> str:
    return (
        f"Charter van {name}\n\n"
        f"{KIND_LINE[kind]} Het is een samenwerking tussen de deelnemers, de lokale politie "
        f"({ZONE_NAME}) en de gemeente {municipality}, volgens de omzendbrief over de "
        "buurtinformatienetwerken. Het doel is informatie uitwisselen om de veiligheid en "
        "de sociale samenhang te versterken.\n\n"
        "1. Leden patrouilleren niet en treden nooit zelf op tegen verdachte personen.\n"
        "2. Wie iets verdachts ziet, belt eerst de politie: bij nood 112, anders 101. "
        "Pas daarna wordt het bericht in het netwerk gedeeld.\n"
        "3. Er worden geen foto's van verdachte personen en geen nummerplaten gedeeld; "
        "berichten van het netwerk gaan niet naar buiten.\n"
        "4. De coördinator beheert de ledenlijst; gegevens dienen alleen voor het netwerk "
        "en worden gewist wie uitstapt.\n"
        "5. Het netwerk is neutraal. Wie discrimineert of oproept tot eigenrichting, wordt "
        "uitgesloten."
    )


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", ".", plain).strip(".")


# Geometry is done in metres on a flat projection around the zone: at the size of three
# municipalities that is accurate to well under a metre.
_LON0, _LAT0 = 3.26, 50.83
_KX, _KY = geo.metres_per_degree(_LAT0)
# Neighbouring BINs keep twice this apart, so that they never share a border.
BIN_MARGIN_M = 40
MAX_BIN_CORNERS = 40
# Gap left between neighbouring municipalities (in degrees), so that rounding the corners to
# 6 decimals cannot make them overlap.
OUTLINE_GAP = 5e-6
STREET_LENGTH_M = (100, 300)
# A street starts this far from its BIN's seed at most, and keeps clear of the BIN's border.
STREET_REACH_M = 250
STREET_MARGIN_M = 5


def to_metres(geometry: BaseGeometry) -> BaseGeometry:
    """Longitude/latitude to metres east and north of (_LON0, _LAT0)."""
    return shapely.transform(geometry, lambda xy: (xy - (_LON0, _LAT0)) * (_KX, _KY))


def to_degrees(geometry: BaseGeometry) -> BaseGeometry:
    """Metres east and north of (_LON0, _LAT0) back to longitude/latitude."""
    return shapely.transform(geometry, lambda xy: xy / (_KX, _KY) + (_LON0, _LAT0))


def as_geojson(polygon: Polygon) -> dict:
    """A GeoJSON polygon (counter-clockwise, corners rounded to 6 decimals, about 10 cm)."""
    ring = [[round(lon, 6), round(lat, 6)] for lon, lat in orient(polygon).exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def _part_holding(geometry: BaseGeometry, point: Point) -> Polygon:
    """The polygon of geometry that holds point: clipping or shrinking may split a shape."""
    for part in getattr(geometry, "geoms", [geometry]):
        if isinstance(part, Polygon) and part.contains(point):
            return part
    raise CommandError(f"The demo geography is inconsistent around {to_degrees(point)}.")


def municipality_outlines() -> dict[str, dict]:
    """Each municipality's outline as GeoJSON, clipped so that none overlaps another."""
    taken: BaseGeometry | None = None
    outlines = {}
    for name, _nis, corners in MUNICIPALITIES:
        polygon: BaseGeometry = Polygon(corners)
        if taken is not None:
            polygon = polygon.difference(taken.buffer(OUTLINE_GAP, join_style="mitre"))
            polygon = max(getattr(polygon, "geoms", [polygon]), key=lambda part: part.area)
        taken = polygon if taken is None else taken.union(polygon)
        outlines[name] = as_geojson(polygon)
    return outlines


def bin_areas(outline: dict, seeds: list[tuple[float, float]]) -> list[Polygon]:
    """The BIN areas of one municipality, in metres: the Voronoi cells of the seeds clipped
    to the outline, shrunk by BIN_MARGIN_M and simplified to at most MAX_BIN_CORNERS."""
    border = to_metres(shape(outline))
    points = [to_metres(Point(seed)) for seed in seeds]
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=border, ordered=True)
    areas = []
    for point, cell in zip(points, cells.geoms, strict=True):
        area = _part_holding(cell.intersection(border), point)
        area = _part_holding(area.buffer(-BIN_MARGIN_M, join_style="mitre"), point)
        tolerance = 1.0
        while len(area.exterior.coords) - 1 > MAX_BIN_CORNERS:
            area = area.simplify(tolerance)
            tolerance *= 2
        areas.append(area)
    return areas


class FastInsert:
    """INSERT rows (dicts of attname -> value) of one model with executemany.

    The ORM's bulk_create spends most of its time building model instances and
    preparing each value; 100,000 members need a leaner path. Primary keys are assigned
    here (above the table's current maximum), so the rows can be referred to at once;
    reset_sequences() tells PostgreSQL afterwards.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        ops = connection.ops
        adapters = {
            "DateTimeField": ops.adapt_datetimefield_value,
            "DateField": ops.adapt_datefield_value,
            "TimeField": ops.adapt_timefield_value,
        }
        self.adapters = []
        self.defaults = []
        for f in self.fields:
            kind = f.get_internal_type()
            if kind == "JSONField":
                self.adapters.append(lambda v, f=f: f.get_db_prep_save(v, connection))
            else:
                self.adapters.append(adapters.get(kind))
            self.defaults.append(None if f.primary_key else f.get_default())
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(model._meta.db_table)
        # Names come from the model's meta, values are parameters.
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def insert(self, rows: list[dict]) -> list[dict]:
        """Give each row an "id" and insert them; returns the rows."""
        params = []
        pairs = list(zip(self.fields, self.adapters, self.defaults, strict=True))
        for row in rows:
            row["id"] = self.next_id
            self.next_id += 1
            values = []
            for f, adapt, default in pairs:
                value = row.get(f.attname, default)
                values.append(adapt(value) if adapt is not None and value is not None else value)
            params.append(values)
        with connection.cursor() as cursor:
            for start in range(0, len(params), BATCH):
                cursor.executemany(self.sql, params[start : start + BATCH])
        return rows


def reset_sequences(models) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@dataclass
class Bin:
    network: Network
    place: Place
    area_m: Polygon  # the network's area in metres (see to_metres)
    streets: list[Street] = field(default_factory=list)
    coordinator_id: int | None = None
    officer_id: int | None = None


class Seeder:
    def __init__(self, members: int) -> None:
        self.members = members
        self.rng = random.Random(SEED)
        self.now = timezone.now().replace(microsecond=0)
        self.unusable = make_password(None)  # one shared unusable value, no hashing per person
        self.password = make_password(DEMO_PASSWORD)  # hashed once for all named log-ins
        self.phone_counter = 0
        self.email_counter = 0
        self._name_pools()

    # --- building blocks -----------------------------------------------------------------

    def _name_pools(self) -> None:
        # Faker is a development package: a production installation has no demo data to make.
        try:
            from faker import Faker
        except ImportError as exc:
            raise CommandError(
                "seed_demo makes demo data and needs the development packages: "
                "pip install -r requirements-dev.lock"
            ) from exc

        def pool(faker: Faker, method: str, size: int) -> list[str]:
            seen: dict[str, None] = {}
            for _ in range(size * 20):
                seen[getattr(faker, method)()] = None
                if len(seen) >= size:
                    break
            return list(seen)

        nl, fr = Faker("nl_BE"), Faker("fr_BE")
        nl.seed_instance(SEED)
        fr.seed_instance(SEED)
        self.first_names = {"nl": pool(nl, "first_name", 250), "fr": pool(fr, "first_name", 150)}
        self.last_names = {"nl": pool(nl, "last_name", 400), "fr": pool(fr, "last_name", 200)}

    def _ago(self, days_min: float, days_max: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(days_min, days_max))

    def _phone(self) -> str:
        # A permutation of 0..50 000 000 keeps numbers unique and scattered: +32 45x..49x.
        self.phone_counter += 1
        n = (self.phone_counter * 7_368_791 + 1_234_567) % 50_000_000
        return f"+32{450_000_000 + n}"

    def _language(self) -> str:
        r = self.rng.random()
        return Language.DUTCH if r < 0.86 else Language.FRENCH if r < 0.96 else Language.ENGLISH

    def _name(self, language: str) -> str:
        pool = "fr" if language == Language.FRENCH else "nl"
        rng = self.rng
        return f"{rng.choice(self.first_names[pool])} {rng.choice(self.last_names[pool])}"

    def _email(self, full_name: str) -> str:
        self.email_counter += 1
        return f"{ascii_slug(full_name)}.{self.email_counter}@{MEMBER_DOMAIN}"

    def person(
        self,
        full_name: str,
        language: str,
        joined: datetime,
        home: Bin | None,
        email: str | None = None,
    ) -> dict:
        """A person as a row for FastInsert (attname -> value)."""
        rng = self.rng
        person = {
            "email": email or self._email(full_name),
            "full_name": full_name,
            "language": str(language),
            "phone": self._phone(),
            # What Person.save derives from the number (FastInsert skips save): all mobiles.
            "phone_region": "BE",
            "phone_kind": MOBILE,
            "phone_verified_at": joined + timedelta(minutes=rng.randint(2, 90)),
            "channels": rng.choices(CHANNEL_CHOICES, CHANNEL_WEIGHTS)[0],
            "date_joined": joined,
            "password": self.unusable,
        }
        if rng.random() < 0.2:
            person["quiet_hours_start"] = clock(rng.choice([21, 22, 23]), 0)
            person["quiet_hours_end"] = clock(rng.choice([6, 7, 8]), 0)
        if home is not None:
            street = rng.choice(home.streets)
            number = rng.randint(1, street.highest_number)
            lon, lat = street.locate(number)
            person["street"] = street.name
            person["house_number"] = str(number) + (
                "" if rng.random() < 0.93 else rng.choice("ABC")
            )
            person["postcode"] = street.postcode
            person["city"] = home.network.municipality.name
            person["longitude"], person["latitude"] = round(lon, 7), round(lat, 7)
        return person

    # --- the zone ----------------------------------------------------------------------

    def seed(self) -> None:
        self.zone = PoliceZone.objects.create(name=ZONE_NAME, code=ZONE_CODE)
        self.bins: list[Bin] = []
        self.municipalities: dict[str, Municipality] = {}
        outlines = municipality_outlines()
        for name, nis, _corners in MUNICIPALITIES:
            municipality = Municipality.objects.create(
                name=name, nis_code=nis, zone=self.zone, area=outlines[name]
            )
            self.municipalities[name] = municipality
            places = NETWORKS[name]
            areas = bin_areas(outlines[name], [place.seed for place in places])
            for place, area in zip(places, areas, strict=True):
                network = self._network(
                    place.name, municipality, place.kind, place.status, as_geojson(to_degrees(area))
                )
                # Streets are placed in the stored (rounded) area, so that they lie inside it.
                bin_ = Bin(network, place, to_metres(shape(network.area)))
                bin_.streets = [self._street(bin_, street) for street in place.streets]
                self.bins.append(bin_)
        self._check_areas()
        Street.objects.bulk_create([s for b in self.bins for s in b.streets], batch_size=BATCH)
        self.people = FastInsert(Person)
        self.memberships = FastInsert(Membership)
        self.changes = FastInsert(MembershipChange)
        self.consents = FastInsert(Consent)
        self._staff()
        self._members()
        reset_sequences([Person, Membership, MembershipChange, Consent])
        self._confirm_emails()
        self._plans()
        self._reports()
        self._prevention()
        self._absence()
        self._governance()
        self._survey()

    def _confirm_emails(self) -> None:
        """Members confirmed their e-mail when they signed up; leave one in 29 unconfirmed so
        that a drill's reach report has something to show."""
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO account_emailaddress (user_id, email, verified, "primary") '
                "SELECT p.id, p.email, CASE WHEN p.id %% 29 = 0 THEN FALSE ELSE TRUE END, TRUE "
                "FROM people_person p WHERE NOT EXISTS "
                "(SELECT 1 FROM account_emailaddress e WHERE e.user_id = p.id)",
                (),
            )

    def _plans(self) -> None:
        """An agreed communication plan (the zone default, version 1) in every BIN that has
        both a coordinator and an officer, approved by both."""
        from buurtnet.plans.defaults import DEFAULT_PLAN
        from buurtnet.plans.models import CommunicationPlan, PlanApproval, PlanRule

        leads: dict[int, dict[str, int]] = {}
        for network_id, role, person_id in Membership.objects.filter(
            network__in=[b.network for b in self.bins],
            role__in=[Role.COORDINATOR, Role.OFFICER],
            status=MembershipStatus.APPROVED,
        ).values_list("network_id", "role", "person_id"):
            leads.setdefault(network_id, {})[role] = person_id
        agreed = [n for n, roles in leads.items() if len(roles) == 2]
        activated = self._ago(30, 200)
        plans = CommunicationPlan.objects.bulk_create(
            CommunicationPlan(
                network_id=network_id,
                version=1,
                status="active",
                police_route=DEFAULT_PLAN["police_route"],
                forward_within_minutes=DEFAULT_PLAN["forward_within_minutes"],
                sms_segment_limit=DEFAULT_PLAN["sms_segment_limit"],
                created_by_id=leads[network_id][Role.OFFICER],
                created_at=activated,
                activated_at=activated,
            )
            for network_id in agreed
        )
        rules, approvals = [], []
        for plan in plans:
            for data in DEFAULT_PLAN["rules"]:
                rule = PlanRule.of(Rule.from_json(data))
                rule.plan = plan
                rules.append(rule)
            for role in (Role.COORDINATOR, Role.OFFICER):
                approvals.append(
                    PlanApproval(
                        plan=plan,
                        role=role,
                        person_id=leads[plan.network_id][role],
                        approved_at=activated,
                    )
                )
        PlanRule.objects.bulk_create(rules)
        PlanApproval.objects.bulk_create(approvals)

    def _prevention(self) -> None:
        """The starter tips, published, so the zone's public page has something to show."""
        from buurtnet.prevention.services import install_starter_tips

        install_starter_tips(self.zone)

    def _absence(self) -> None:
        """The demo member is away from tomorrow for a week, so the officer's list of homes to
        pass has one."""
        from django.core.exceptions import ValidationError

        from buurtnet.absences.services import AbsenceInput, announce

        member = Person.objects.filter(email=MEMBER_EMAIL).first()
        if member is None or not member.has_point:
            return
        today = timezone.localdate()
        try:
            announce(
                member,
                AbsenceInput(
                    starts_on=today + timedelta(days=1),
                    ends_on=today + timedelta(days=8),
                    contact_name="Els Buur",
                    contact_phone="+32470999001",
                    remarks="Buurvrouw leegt de brievenbus. Auto staat op de oprit.",
                ),
            )
        except ValidationError:
            return  # the demo still works without it

    def _survey(self) -> None:
        """The ready "safety feeling" survey, as a draft the zone can send."""
        from buurtnet.surveys.services import install_starter

        author = Person.objects.filter(email=ZONE_EMAIL).first()
        if author is not None:
            install_starter(self.zone, author)

    def _governance(self) -> None:
        """The demo BIN's governance: the coordinator screened, a consultation 40 days ago
        with an open action, and a members' meeting next week that proposes the demo member
        for the steering group."""
        from django.core.exceptions import ValidationError

        from buurtnet.governance import services as governance

        network = self.bins[0].network
        officer = Person.objects.filter(email=OFFICER_EMAIL).first()
        coordinator = Person.objects.filter(email=COORDINATOR_EMAIL).first()
        member = Person.objects.filter(email=MEMBER_EMAIL).first()
        if not (officer and coordinator and member):
            return
        today = timezone.localdate()
        try:
            governance.record_screening(network, coordinator, officer, today - timedelta(days=500))
            governance.record_consultation(
                network,
                officer,
                governance.ConsultationInput(
                    held_on=today - timedelta(days=40),
                    topics="Inbraken in de wijk; vakantietoezicht; nieuwe leden.",
                    agreements="Folder over inbraakpreventie in de brievenbussen.",
                    actions=[
                        governance.ActionInput(
                            "Folders ophalen bij de preventiedienst",
                            coordinator.pk,
                            today + timedelta(days=10),
                        )
                    ],
                ),
            )
            starts = (timezone.now() + timedelta(days=7)).replace(
                hour=19, minute=30, second=0, microsecond=0
            )
            governance.schedule_meeting(
                network,
                coordinator,
                governance.MeetingInput(
                    title="Ledenvergadering",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    place="Parochiezaal, Kerkstraat 1",
                    agenda="1. Welkom\n2. Terugblik op het jaar\n3. Stuurgroep: nieuw lid",
                    decisions=[
                        governance.DecisionInput("steering", member.pk, timezone.localdate(starts))
                    ],
                ),
            )
        except ValidationError:
            return  # the demo still works without it

    def _reports(self) -> None:
        """A few reports of the demo member, so the officer's queue has something in it: one
        waiting past its response time, one in progress, one closed."""
        from buurtnet.reports.models import Report, ReportEvent
        from buurtnet.reports.services import categories_for, rule_for_reports

        member = Person.objects.filter(email=MEMBER_EMAIL).first()
        membership = (
            Membership.objects.filter(person=member, status=MembershipStatus.APPROVED)
            .select_related("network__municipality")
            .first()
        )
        if membership is None:
            return
        network = membership.network
        categories = {c.code: c for c in categories_for(network.municipality.zone)}
        version, rule = rule_for_reports(network)
        samples = [
            (
                "suspicious_vehicle",
                "new",
                30,
                "Een grijze bestelwagen reed twee keer traag door de straat en stopte bij "
                "elke oprit.",
            ),
            (
                "fraud",
                "in_progress",
                3,
                "Twee mannen belden aan en zeiden dat ze de watermeter kwamen controleren, "
                "zonder badge.",
            ),
            ("vandalism", "closed", 10, "De bushalte aan het kerkplein is vannacht vernield."),
        ]
        for code, status, hours_ago, text in samples:
            created = self.now - timedelta(hours=hours_ago)
            report = Report.objects.create(
                network=network,
                reporter=member,
                category=categories[code],
                language=member.language,
                occurred_at=created - timedelta(minutes=40),
                longitude=member.longitude if member.has_point else network.min_lon,
                latitude=member.latitude if member.has_point else network.min_lat,
                description=text,
                status=status,
                outcome="patrol" if status == "closed" else "",
                plan_version=version,
                rule=rule.to_json(),
                created_at=created,
                due_at=created + timedelta(minutes=rule.response_minutes or 1440),
                responded_at=None if status == "new" else created + timedelta(hours=1),
                closed_at=created + timedelta(hours=2) if status == "closed" else None,
            )
            ReportEvent.objects.create(
                report=report, kind="filed", actor=member, to_status="new", at=created
            )
            if status != "new":
                ReportEvent.objects.create(
                    report=report,
                    kind="status",
                    from_status="new",
                    to_status=status,
                    at=created + timedelta(hours=1),
                )

    def _network(self, name, municipality, kind, status, area) -> Network:
        path = STATUS_PATHS[status]
        moments = sorted(self._ago(30, 1500) for _ in path)
        network = Network(
            name=name,
            municipality=municipality,
            kind=kind,
            area=area,
            status=status,
            status_changed_at=moments[-1],
            charter=charter_text(name, municipality.name, kind),
            created_at=moments[0],
        )
        if ACT in path:
            network.agreement_signed_on = timezone.localdate(moments[path.index(ACT)])
        network.full_clean()
        network.save()
        notes = {
            PRO: "Voorstel van bewoners en wijkagent.",
            FOU: "Infoavond gehouden, oprichting gestart.",
            ACT: "Samenwerkingsakkoord ondertekend door burgemeester, korpschef en coördinator.",
            DOR: "Weinig activiteit; coördinator gezocht.",
        }
        NetworkStatusChange.objects.bulk_create(
            NetworkStatusChange(network=network, status=s, changed_at=m, note=notes[s])
            for s, m in zip(path, moments, strict=True)
        )
        return network

    def _street(self, b: Bin, name: str) -> Street:
        """A straight stretch of 100-300 m of the street near the BIN's seed, entirely inside
        the BIN's area (so that every house number on it lies in the BIN)."""
        rng = self.rng
        seed = to_metres(Point(b.place.seed))
        room = b.area_m.buffer(-STREET_MARGIN_M)
        shortest, longest = STREET_LENGTH_M
        for attempt in range(400):
            # Later attempts try shorter stretches closer to the seed.
            shrink = 1.0 if attempt < 200 else 0.4
            length = rng.uniform(shortest, shortest + (longest - shortest) * shrink)
            heading = rng.uniform(0, math.pi)
            distance = rng.uniform(0, STREET_REACH_M * shrink)
            bearing = rng.uniform(0, 2 * math.pi)
            cx = seed.x + distance * math.cos(bearing)
            cy = seed.y + distance * math.sin(bearing)
            dx, dy = length / 2 * math.cos(heading), length / 2 * math.sin(heading)
            line = LineString([(cx - dx, cy - dy), (cx + dx, cy + dy)])
            if room.contains(line):
                (start_lon, start_lat), (end_lon, end_lat) = to_degrees(line).coords
                return Street(
                    municipality=b.network.municipality,
                    name=name,
                    postcode=b.place.postcode,
                    start_lon=round(start_lon, 7),
                    start_lat=round(start_lat, 7),
                    end_lon=round(end_lon, 7),
                    end_lat=round(end_lat, 7),
                    highest_number=rng.randrange(20, 200, 2),
                )
        raise CommandError(f"No room for {name} in {b.network.name}.")

    def _check_areas(self) -> None:
        seen: set[tuple[str, str]] = set()
        for i, a in enumerate(self.bins):
            geo.validate_area(a.network.area)
            assert shape(a.network.municipality.area).covers(shape(a.network.area)), a.network
            for street in a.streets:
                key = (street.postcode, street.name.lower())
                assert key not in seen, f"{street} appears twice"
                seen.add(key)
                for lon, lat in (
                    (street.start_lon, street.start_lat),
                    (street.end_lon, street.end_lat),
                ):
                    assert a.network.contains(lon, lat), f"{street} lies outside {a.network}"
            for b in self.bins[i + 1 :]:
                assert not geo.overlaps(a.network.area, b.network.area), (a.network, b.network)

    # --- named log-ins, officers, coordinators, steering groups ------------------------

    def _staff(self) -> None:
        rng = self.rng
        first = self.bins[0]
        named: dict[str, dict] = {}
        for email, name, _role, _totp in NAMED_LOGINS:
            person = self.person(name, Language.DUTCH, self._ago(400, 700), first, email=email)
            person.update(password=self.password, channels=[Channel.EMAIL, Channel.INAPP])
            person.pop("quiet_hours_start", None)
            person.pop("quiet_hours_end", None)
            named[email] = person
        named[ADMIN_EMAIL].update(is_staff=True, is_superuser=True)

        # One officer per 3-4 BINs; the named officer has the first four.
        officer_groups, i = [], 0
        while i < len(self.bins):
            size = 4 if i == 0 else rng.choice((3, 4))
            officer_groups.append(self.bins[i : i + size])
            i += size
        officers = [named[OFFICER_EMAIL]] + [
            self.person(
                f"Inspecteur {self._name(Language.DUTCH)}",
                Language.DUTCH,
                self._ago(500, 900),
                None,
            )
            for _ in officer_groups[1:]
        ]
        extra_zone = [
            self.person(self._name(Language.DUTCH), Language.DUTCH, self._ago(500, 900), None)
            for _ in range(2)
        ]
        partners = {
            m: self.person(self._name(Language.DUTCH), Language.DUTCH, self._ago(500, 900), None)
            for m in ("Kuurne", "Lendelede")
        }
        leaders: list[tuple[Bin, dict, str]] = []
        for index, b in enumerate(self.bins):
            if index == 0:
                coordinator = named[COORDINATOR_EMAIL]
            else:
                language = self._language()
                coordinator = self.person(self._name(language), language, self._ago(300, 900), b)
            leaders.append((b, coordinator, Role.COORDINATOR))
            for _ in range(rng.randint(1, 3)):
                language = self._language()
                steering = self.person(self._name(language), language, self._ago(300, 900), b)
                leaders.append((b, steering, Role.STEERING))
        people = list(named.values()) + officers[1:] + extra_zone + list(partners.values())
        people += [p for _b, p, _r in leaders if p["email"] not in named]
        self.people.insert(people)

        zone_id = named[ZONE_EMAIL]["id"]
        ZoneStaff.objects.bulk_create(
            [
                # The demo's zone login also acts as chief of police (written reprimands).
                ZoneStaff(
                    zone=self.zone, person_id=zone_id, function="Dienst wijkwerking", is_chief=True
                ),
                ZoneStaff(zone=self.zone, person_id=extra_zone[0]["id"], function="Dispatching"),
                ZoneStaff(zone=self.zone, person_id=extra_zone[1]["id"], function="Communicatie"),
            ]
        )
        MunicipalPartner.objects.bulk_create(
            [
                MunicipalPartner(
                    municipality=self.municipalities["Kortrijk"],
                    person_id=named[MUNICIPAL_EMAIL]["id"],
                    function="Preventiedienst",
                )
            ]
            + [
                MunicipalPartner(
                    municipality=self.municipalities[m],
                    person_id=p["id"],
                    function="Preventieambtenaar",
                )
                for m, p in partners.items()
            ]
        )

        memberships: list[dict] = []
        for group, officer in zip(officer_groups, officers, strict=True):
            for b in group:
                b.officer_id = officer["id"]
                start = max(b.network.created_at, self._ago(200, 1400))
                memberships.append(self._approved(b, officer, Role.OFFICER, start, zone_id))
        for b, person, role in leaders:
            if role == Role.COORDINATOR:
                b.coordinator_id = person["id"]
        for b, person, role in leaders:
            decider = b.officer_id if role == Role.COORDINATOR else b.coordinator_id
            start = max(b.network.created_at, person["date_joined"])
            memberships.append(self._approved(b, person, role, start, decider))
        member = named[MEMBER_EMAIL]
        memberships.append(
            self._approved(
                first,
                member,
                Role.MEMBER,
                max(first.network.created_at, member["date_joined"]),
                first.coordinator_id,
                "Ik woon in de wijk en wil graag meedoen.",
            )
        )
        self._save_memberships(memberships)

        EmailAddress.objects.bulk_create(
            EmailAddress(user_id=p["id"], email=p["email"], verified=True, primary=True)
            for p in named.values()
        )
        staff = Person.objects.in_bulk(
            [email for email, _name, _role, totp in NAMED_LOGINS if totp], field_name="email"
        )
        for person in staff.values():
            TOTP.activate(person, DEMO_TOTP_SECRET)

    def _approved(
        self, b: Bin, person: dict, role: str, applied_at, decider_id, motivation: str = ""
    ) -> dict:
        decided_at = min(applied_at + timedelta(days=self.rng.uniform(0.1, 8)), self.now)
        return {
            "network_id": b.network.pk,
            "person_id": person["id"],
            "role": str(role),
            "status": str(MembershipStatus.APPROVED),
            "applied_at": applied_at,
            "decided_at": decided_at,
            "decided_by_id": decider_id,
            "status_changed_at": decided_at,
            "motivation": motivation,
        }

    # --- members -------------------------------------------------------------------------

    def _members(self) -> None:
        rng = self.rng
        weights = [
            KIND_WEIGHT[b.network.kind] * STATUS_WEIGHT[b.network.status] * rng.uniform(0.6, 1.6)
            for b in self.bins
        ]
        # The first BIN always gets a few waiting applications for the coordinator's page.
        forced = min(5, self.members)
        targets = [0] * forced + rng.choices(
            range(len(self.bins)), weights=weights, k=self.members - forced
        )
        applied, approved = str(MembershipStatus.APPLIED), str(MembershipStatus.APPROVED)
        paused, left = str(MembershipStatus.PAUSED), str(MembershipStatus.LEFT)
        member = str(Role.MEMBER)
        for start in range(0, self.members, BATCH):
            people, memberships = [], []
            for offset, index in enumerate(targets[start : start + BATCH]):
                b = self.bins[index]
                language = self._language()
                r = rng.random()
                if start + offset < forced:
                    status = applied
                elif b.network.status == FOU:
                    status = applied if r < 0.35 else approved
                elif r < 0.03:
                    status = applied
                elif r < 0.045:
                    status = paused
                elif r < 0.06:
                    status = left
                else:
                    status = approved
                if status == applied:
                    applied_at = self._ago(0.2, 25)
                else:
                    earliest = (self.now - b.network.created_at).total_seconds() / 86400
                    applied_at = self._ago(10, max(earliest, 11))
                person = self.person(
                    self._name(language), language, applied_at - timedelta(hours=1), b
                )
                people.append(person)
                membership = {
                    "network_id": b.network.pk,
                    "person": person,
                    "role": member,
                    "status": status,
                    "applied_at": applied_at,
                    "status_changed_at": applied_at,
                    "motivation": rng.choice(MOTIVATIONS) if status == applied else "",
                }
                if status != applied:
                    decided = min(applied_at + timedelta(days=rng.uniform(0.1, 9)), self.now)
                    membership["decided_at"] = membership["status_changed_at"] = decided
                    membership["decided_by_id"] = b.coordinator_id
                    if status in (paused, left):
                        membership["status_changed_at"] = (
                            decided + (self.now - decided) * rng.random()
                        )
                memberships.append(membership)
            self.people.insert(people)
            for membership in memberships:
                membership["person_id"] = membership.pop("person")["id"]
            self._save_memberships(memberships)

    def _save_memberships(self, memberships: list[dict]) -> None:
        """Memberships with their history (applied, decided, paused or left) and consents."""
        self.memberships.insert(memberships)
        applied, approved = str(MembershipStatus.APPLIED), str(MembershipStatus.APPROVED)
        ended = (str(MembershipStatus.PAUSED), str(MembershipStatus.LEFT))
        privacy, charter = str(ConsentKind.PRIVACY_NOTICE), str(ConsentKind.CHARTER)
        changes, consents = [], []
        for m in memberships:
            changes.append(
                {
                    "membership_id": m["id"],
                    "from_status": "",
                    "to_status": applied,
                    "changed_at": m["applied_at"],
                    "changed_by_id": m["person_id"],
                    "reason": "",
                }
            )
            if m.get("decided_at"):
                changes.append(
                    {
                        "membership_id": m["id"],
                        "from_status": applied,
                        "to_status": approved,
                        "changed_at": m["decided_at"],
                        "changed_by_id": m["decided_by_id"],
                        "reason": "",
                    }
                )
            if m["status"] in ended:
                changes.append(
                    {
                        "membership_id": m["id"],
                        "from_status": approved,
                        "to_status": m["status"],
                        "changed_at": m["status_changed_at"],
                        "changed_by_id": m["person_id"],
                        "reason": "",
                    }
                )
            if m["role"] != Role.OFFICER:
                consents.append(
                    {
                        "person_id": m["person_id"],
                        "kind": privacy,
                        "version": settings.PRIVACY_NOTICE_VERSION,
                        "given_at": m["applied_at"],
                    }
                )
                consents.append(
                    {
                        "person_id": m["person_id"],
                        "kind": charter,
                        "version": "1",  # the demo charters are all at version 1
                        "network_id": m["network_id"],
                        "given_at": m["applied_at"],
                    }
                )
        self.changes.insert(changes)
        self.consents.insert(consents)


class Command(BaseCommand):
    help = "Create a demo police zone with 3 municipalities, 30 BINs, streets and members."

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=5000, help="Number of members (default 5000)."
        )

    def handle(self, *args, members: int, **options):
        if members < 0:
            raise CommandError("--members must be 0 or more.")
        started = time.perf_counter()
        zone = PoliceZone.objects.filter(code=ZONE_CODE).first()
        if zone is not None:
            self.stdout.write(
                f"The demo zone {zone.name} ({ZONE_CODE}) already exists: reusing it, "
                "nothing was added. Run `manage.py demo_logins` for the log-ins."
            )
            return
        if Person.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists():
            raise CommandError(
                f"Demo log-ins (@{DEMO_DOMAIN}) exist but the demo zone {ZONE_CODE} does not; "
                "remove them or start from an empty database."
            )
        seeder = Seeder(members)
        with transaction.atomic():
            seeder.seed()
        sample = Person.objects.filter(email__endswith=MEMBER_DOMAIN).values_list(
            "phone", "phone_region", "phone_kind"
        )[:50]
        for phone, region, kind in sample:
            assert normalize_phone(phone) == phone, phone
            assert number_facts(phone) == (region, kind), phone
        elapsed = time.perf_counter() - started
        counts = {
            "municipalities": Municipality.objects.filter(zone=seeder.zone).count(),
            "BINs": Network.objects.filter(municipality__zone=seeder.zone).count(),
            "streets": Street.objects.filter(municipality__zone=seeder.zone).count(),
            "people": Person.objects.count(),
            "memberships": Membership.objects.filter(
                network__municipality__zone=seeder.zone
            ).count(),
        }
        self.stdout.write(", ".join(f"{v} {k}" for k, v in counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Seeded {members} members in {elapsed:.1f} s"))
        self.stdout.write("Log in with: .venv/bin/python manage.py demo_logins")
