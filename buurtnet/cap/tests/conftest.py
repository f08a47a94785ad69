"""Sample CAP documents, API tokens and a few BINs placed around an alert's area."""

import pytest

from buurtnet.api.tests.conftest import make_token
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square
from buurtnet.people.tests.factories import PersonFactory

# lat,lon corners of a box from (50.49, 3.99) to (50.53, 4.05), closed.
AREA = "50.49,3.99 50.49,4.05 50.53,4.05 50.53,3.99 50.49,3.99"
INFOS = (
    ("nl-BE", "Inbraakgolf in de wijk", "Sinds gisteren drie inbraken.", "Sluit ramen en deuren."),
    ("fr-BE", "Vague de cambriolages", "Trois cambriolages depuis hier.", "Fermez tout."),
)


def cap_alert(
    identifier: str = "BE-CRISIS-2026-0001",
    *,
    msg_type: str = "Alert",
    references: str = "",
    status: str = "Actual",
    sender: str = "alerts@crisis.example.be",
    sent: str = "2026-11-29T10:00:00+01:00",
    urgency: str = "Immediate",
    severity: str = "Severe",
    infos=INFOS,
    polygons=(AREA,),
    circles=(),
) -> bytes:
    """A CAP 1.2 document as another system would send it."""
    refs = f"<references>{references}</references>" if references else ""
    areas = "".join(f"<polygon>{p}</polygon>" for p in polygons) + "".join(
        f"<circle>{c}</circle>" for c in circles
    )
    blocks = "".join(
        f"""<info><language>{language}</language><category>Security</category>
        <event>Inbraken</event><urgency>{urgency}</urgency><severity>{severity}</severity>
        <certainty>Observed</certainty><headline>{headline}</headline>
        <description>{description}</description><instruction>{instruction}</instruction>
        <area><areaDesc>Wijk</areaDesc>{areas}</area></info>"""
        for language, headline, description, instruction in infos
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>
  <status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  {blocks}
</alert>""".encode()


def token_for(person, *scopes: str) -> str:
    return make_token(person, scopes)


class Places:
    """BINs of our zone inside, partly inside and outside AREA, and one of another zone
    inside it; the inside BIN has an officer and a member."""

    def __init__(self, world) -> None:
        self.inside = NetworkFactory(
            name="BIN Inside", municipality=world.municipality, area=square(4.00, 50.50, 0.01)
        )
        self.partly = NetworkFactory(
            name="BIN Partly", municipality=world.municipality, area=square(4.045, 50.50, 0.01)
        )
        self.outside = NetworkFactory(
            name="BIN Outside", municipality=world.municipality, area=square(4.10, 50.50, 0.01)
        )
        self.other_zone = NetworkFactory(
            name="BIN Other Zone",
            municipality=world.far_municipality,
            area=square(4.01, 50.51, 0.01),
        )
        self.officer = PersonFactory(full_name="Inside Officer")
        MembershipFactory(network=self.inside, person=self.officer, role=Role.OFFICER)
        self.member = PersonFactory(full_name="Inside Member", at=(4.005, 50.505))
        MembershipFactory(network=self.inside, person=self.member)


@pytest.fixture
def places(world) -> Places:
    return Places(world)
