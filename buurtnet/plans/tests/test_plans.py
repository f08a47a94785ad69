import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from buurtnet.plans import services
from buurtnet.plans.defaults import DEFAULT_PLAN
from buurtnet.plans.models import Approver, PlanStatus


def content(**changes) -> dict:
    plan = {**DEFAULT_PLAN, "rules": [dict(r) for r in DEFAULT_PLAN["rules"]]}
    plan.update(changes)
    return plan


def test_a_new_bin_follows_the_zone_default_until_a_plan_is_agreed(world):
    plan = services.effective_plan(world.network)
    assert not plan.is_agreed
    assert plan.rule_of("alert").quiet_hours_apply is False


def test_a_draft_becomes_active_only_when_coordinator_and_officer_approved_it(world):
    draft = services.write_draft(world.network, world.coordinator, content())
    services.approve(draft, world.coordinator)
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    services.approve(draft, world.officer)
    draft.refresh_from_db()
    assert draft.status == PlanStatus.ACTIVE
    assert services.effective_plan(world.network).version == draft.version


def test_an_edit_makes_a_new_draft_and_keeps_the_active_version(world):
    first = services.write_draft(world.network, world.officer, content())
    services.approve(first, world.officer)
    services.approve(first, world.coordinator)
    second = services.write_draft(
        world.network, world.officer, content(police_route="via_coordinator")
    )
    first.refresh_from_db()
    assert (first.status, second.status, second.version) == ("active", "draft", 2)
    assert services.effective_plan(world.network).police_route == "direct"


def test_an_older_draft_cannot_be_approved_after_a_newer_one(world):
    old = services.write_draft(world.network, world.officer, content())
    services.write_draft(world.network, world.officer, content(sms_segment_limit=2))
    with pytest.raises(ValidationError):
        services.approve(old, world.coordinator)


def test_a_member_cannot_write_or_approve_a_plan(world):
    with pytest.raises(PermissionDenied):
        services.write_draft(world.network, world.member, content())
    draft = services.write_draft(world.network, world.officer, content())
    with pytest.raises(PermissionDenied):
        services.approve(draft, world.member)


def test_a_rule_without_channels_is_refused(world):
    bad = content()
    bad["rules"][0]["channels"] = []
    with pytest.raises(ValidationError):
        services.write_draft(world.network, world.officer, bad)


def test_a_report_rule_needs_someone_to_receive_the_reports(world):
    bad = content()
    report = next(r for r in bad["rules"] if r["kind"] == "report")
    report["report_to"] = []
    with pytest.raises(ValidationError) as caught:
        services.write_draft(world.network, world.officer, bad)
    assert "report" in caught.value.message_dict


def test_who_receives_reports_is_kept_in_the_plan(world):
    good = content()
    report = next(r for r in good["rules"] if r["kind"] == "report")
    report.update(report_to=["officer", "coordinator"], reporter_contact_shared=True)
    plan = services.write_draft(world.network, world.officer, good)
    rule = plan.rule_for("report").as_rule()
    assert rule.report_to == (Approver.OFFICER, Approver.COORDINATOR)
    assert rule.reporter_contact_shared is True


def test_an_agreed_plan_gives_back_the_rules_it_was_written_with(world):
    written = content()
    draft = services.write_draft(world.network, world.officer, written)
    services.approve(draft, world.officer)
    services.approve(draft, world.coordinator)
    plan = services.effective_plan(world.network)
    for data in written["rules"]:
        assert data.items() <= plan.rule_of(data["kind"]).to_json().items()


def test_a_rule_with_half_a_sending_window_is_refused(world):
    bad = content()
    bad["rules"][0].update(send_from="08:00:00", send_until=None)
    with pytest.raises(ValidationError) as caught:
        services.write_draft(world.network, world.officer, bad)
    assert "alert" in caught.value.message_dict


def test_bins_of_one_zone_share_the_rules_of_its_template(world):
    services.save_zone_template(world.zone, world.zone_staff, content())
    plans = services.effective_plans([world.network, world.other_network])
    ours, theirs = plans[world.network.pk], plans[world.other_network.pk]
    assert ours.rule_of("tip") is theirs.rule_of("tip")


def test_the_zone_template_is_where_a_new_bin_starts(world):
    services.save_zone_template(world.zone, world.zone_staff, content(sms_segment_limit=2))
    assert services.effective_plan(world.network).sms_segment_limit == 2


def test_plan_page_shows_versions_to_the_coordinator_but_not_to_a_member(world, client):
    services.write_draft(world.network, world.officer, content())
    client.force_login(world.coordinator)
    assert client.get(f"/plans/bin/{world.network.pk}/").status_code == 200
    client.force_login(world.member)
    assert client.get(f"/plans/bin/{world.network.pk}/").status_code == 404


def test_plan_page_shows_the_rules_of_the_zone_template_until_a_plan_is_agreed(world, client):
    client.force_login(world.coordinator)
    page = client.get(f"/plans/bin/{world.network.pk}/").content.decode()
    assert "<td>alert</td><td>officer, zone_staff</td>" in page
    assert "8 a.m.–9 p.m." in page  # the tip's sending hours, shown as an agreed plan's
