"""BINs the caller can see, with their areas, and their member lists where the role allows."""

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router

from buurtnet.audit import services as audit
from buurtnet.networks import services as networks
from buurtnet.networks.models import Network
from buurtnet.networks.permissions import Action, Standing

from ..auth import require_scope
from ..models import Scope
from ..pagination import paginate
from ..problems import forbidden, not_found
from ..schemas import MembershipPage, NetworkOut, NetworkPage
from .common import PageQuery, PathId, get_or_404, responses

router = Router(tags=["networks"])


def network_out(network: Network, standing: Standing) -> dict:
    municipality = network.municipality
    return {
        "id": network.pk,
        "name": network.name,
        "kind": network.kind,
        "status": network.status,
        "language": network.language,
        "municipality": municipality,
        "zone": municipality.zone,
        "area": network.area,
        "your_role": standing.role_in(network),
    }


def candidate_networks(standing: Standing):
    """The networks where the standing may hold VIEW_NETWORK: its own, and those of its
    zones' and partner municipalities. Each is still checked with `standing.can`."""
    queryset = Network.objects.select_related("municipality__zone")
    if standing.is_superuser:
        return queryset
    return queryset.filter(
        Q(pk__in=list(standing.network_roles))
        | Q(municipality_id__in=standing.zone_municipality_ids)
        | Q(municipality_id__in=standing.partner_municipality_ids)
    )


def visible_network(request: HttpRequest, network_id: PathId) -> tuple[Network, Standing]:
    """The network if the caller may see it; a 404 problem otherwise (nobody learns that
    a BIN they may not see exists)."""
    network = get_or_404(Network.objects.select_related("municipality__zone"), network_id)
    standing = Standing.of(request.user)
    if not standing.can(Action.VIEW_NETWORK, network):
        raise not_found()
    return network, standing


@router.get("", response=responses({200: NetworkPage}), summary="BINs you can see")
def list_networks(request: HttpRequest, page: PageQuery):
    require_scope(request, Scope.NETWORKS_READ)
    standing = Standing.of(request.user)
    rows, next_url = paginate(
        request,
        candidate_networks(standing),
        ["id"],
        cursor=page.cursor,
        limit=page.limit,
        list_key="networks",
    )
    items = [network_out(n, standing) for n in rows if standing.can(Action.VIEW_NETWORK, n)]
    return {"items": items, "next": next_url}


@router.get("/{network_id}", response=responses({200: NetworkOut}, 404), summary="One BIN")
def get_network(request: HttpRequest, network_id: PathId):
    require_scope(request, Scope.NETWORKS_READ)
    network, standing = visible_network(request, network_id)
    return network_out(network, standing)


@router.get(
    "/{network_id}/members",
    response=responses({200: MembershipPage}, 404),
    summary="A BIN's members (as your role allows)",
)
def list_members(request: HttpRequest, network_id: PathId, page: PageQuery):
    require_scope(request, Scope.MEMBERS_READ)
    network, standing = visible_network(request, network_id)
    if not standing.can(Action.VIEW_MEMBERS, network):
        raise forbidden()
    rows, next_url = paginate(
        request,
        networks.member_list(network),
        ["person__full_name", "id"],
        cursor=page.cursor,
        limit=page.limit,
        list_key=f"members:{network.pk}",
    )
    show_contact = standing.can(Action.VIEW_MEMBER_CONTACT, network)
    if show_contact:
        # As on the site: staff reading members' contact details is written down.
        audit.record(
            request.user,
            audit.Action.VIEW_MEMBER_CONTACT,
            network,
            request=request,
            network=network,
            detail={"results": len(rows), "contact": True, "api": True},
        )
    items = [
        {
            "id": m.pk,
            "name": m.person.full_name,
            "role": m.role,
            "status": m.status,
            "since": m.decided_at or m.applied_at,
            "contact": (
                {
                    "email": m.person.email,
                    "phone": m.person.phone,
                    "address": m.person.address_line,
                }
                if show_contact
                else None
            ),
        }
        for m in rows
    ]
    return {"items": items, "next": next_url}
