"""The permission matrix: for each role and action, on its own BIN and on another BIN."""

import pytest

from buurtnet.networks.permissions import Action, Standing

A = Action
ALL = frozenset(Action)
# role -> actions allowed on the role's own BIN ("BIN Ours").
OWN = {
    "member": {A.VIEW_NETWORK},
    "steering": {A.VIEW_NETWORK, A.VIEW_MEMBERS, A.VIEW_APPLICATIONS},
    "coordinator": {A.VIEW_NETWORK, A.VIEW_MEMBERS, A.VIEW_APPLICATIONS, A.DECIDE_APPLICATION},
    "officer": {
        A.VIEW_NETWORK,
        A.VIEW_MEMBERS,
        A.VIEW_MEMBER_CONTACT,
        A.VIEW_APPLICATIONS,
        A.EDIT_NETWORK,
    },
    "zone_staff": {A.VIEW_NETWORK, A.VIEW_MEMBERS, A.VIEW_APPLICATIONS, A.EDIT_NETWORK},
    "municipal": {A.VIEW_NETWORK},
    "admin": set(ALL),
    "outsider": set(),
}
# role -> actions allowed on another BIN of the same zone ("BIN Theirs").
OTHER_SAME_ZONE = {role: set() for role in OWN} | {
    "zone_staff": OWN["zone_staff"],
    "admin": set(ALL),
}
# role -> actions allowed on a BIN of another zone ("BIN Far").
OTHER_ZONE = {role: set() for role in OWN} | {"admin": set(ALL)}

CASES = [
    (role, action, target, action in expected[role])
    for target, expected in (
        ("network", OWN),
        ("other_network", OTHER_SAME_ZONE),
        ("far_network", OTHER_ZONE),
    )
    for role in OWN
    for action in Action
]


@pytest.mark.parametrize(
    ("role", "action", "target", "allowed"),
    CASES,
    ids=[f"{r}-{a}-{t}-{'allow' if ok else 'deny'}" for r, a, t, ok in CASES],
)
def test_permission_matrix(world, role, action, target, allowed):
    person = getattr(world, role)
    assert Standing.of(person).can(action, getattr(world, target)) is allowed


def test_anonymous_may_do_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    standing = Standing.of(AnonymousUser())
    assert not any(standing.can(action, world.network) for action in Action)


def test_paused_coordinator_acts_as_member_only(world):
    membership = world.coordinator.memberships.get()
    membership.status = "paused"
    membership.save()
    world.coordinator._standing = None
    assert Standing.of(world.coordinator).actions_on(world.network) == {A.VIEW_NETWORK}


def test_applicant_has_no_rights_yet(world):
    from buurtnet.networks.tests.factories import MembershipFactory

    MembershipFactory(network=world.other_network, person=world.outsider, status="applied")
    assert Standing.of(world.outsider).actions_on(world.other_network) == frozenset()


@pytest.mark.parametrize("role", ["officer", "zone_staff", "municipal", "admin"])
def test_police_and_staff_need_a_second_factor(world, role):
    assert Standing.of(getattr(world, role)).is_police_or_staff


@pytest.mark.parametrize("role", ["member", "steering", "coordinator", "outsider"])
def test_citizens_do_not_need_a_second_factor(world, role):
    assert not Standing.of(getattr(world, role)).is_police_or_staff


def test_a_superuser_holds_no_post_but_may_do_what_zone_staff_may(world):
    standing = Standing.of(world.admin)
    assert not standing.is_zone_staff(world.zone.pk)
    assert not standing.is_zone_staff_of(world.network)
    assert not standing.is_officer(world.network)
    assert standing.can_view_zone(world.zone.pk)
    assert standing.can_act_as_zone_staff(world.far_network)
    assert standing.can_oversee(world.far_network)


def test_zone_staff_hold_their_post_in_their_own_zone_only(world):
    standing = Standing.of(world.zone_staff)
    assert standing.is_zone_staff(world.zone.pk) and standing.is_zone_staff_of(world.network)
    assert not standing.is_zone_staff(world.other_zone.pk)
    assert not standing.can_oversee(world.far_network)


def test_the_officer_oversees_their_own_bin_only(world):
    standing = Standing.of(world.officer)
    assert standing.is_officer(world.network) and standing.can_oversee(world.network)
    assert not standing.can_oversee(world.other_network)
    assert not standing.can_act_as_zone_staff(world.network)
