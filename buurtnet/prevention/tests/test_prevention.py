"""Tips, the public page and feed, and campaigns through the messaging pipeline."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import feedparser
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from buurtnet.common import markdown
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.delivery.tests.smtp_sink import SmtpSink
from buurtnet.messaging.models import Message, Recipient
from buurtnet.networks.models import MembershipStatus, NetworkKind
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.plans import services as plans
from buurtnet.prevention import services
from buurtnet.prevention.models import Campaign, CampaignSend, Tip, TipStatus
from buurtnet.prevention.services import CampaignInput, TipInput

ATOM = "{http://www.w3.org/2005/Atom}"
NL = {
    "title": "Sluit altijd af",
    "sms_text": "Sluit deuren en ramen, ook als u thuis bent.",
    "body": "Een open raam is een uitnodiging.\n\n- Sluit de achterdeur\n- Leg sleutels weg",
}


def tip_input(**overrides) -> TipInput:
    values = {"texts": {"nl": dict(NL)}, "themes": ["burglary"]}
    values.update(overrides)
    return TipInput(**values)


def published_tip(world, **overrides) -> Tip:
    tip = services.save_tip(world.zone_staff, world.zone, tip_input(**overrides))
    return services.set_status(tip, world.zone_staff, TipStatus.PUBLISHED)


def campaign_input(tip, **overrides) -> CampaignInput:
    values = {
        "name": "Donkere maanden",
        "tip_ids": [tip.pk],
        "network_kinds": [NetworkKind.RESIDENTS],
        "starts_at": timezone.now() + timedelta(hours=1),
    }
    values.update(overrides)
    return CampaignInput(**values)


@pytest.fixture
def tips_any_time(world):
    """The zone's plan without sending hours for tips, so the test does not depend on the
    hour it runs at."""
    content = plans.plan_content(plans.effective_plan(world.network))
    for rule in content["rules"]:
        if rule["kind"] == "tip":
            rule.update(send_from=None, send_until=None, quiet_hours_apply=False)
    plans.save_zone_template(world.zone, world.zone_staff, content)


# --- Tips ----------------------------------------------------------------------------------


def test_a_tip_without_any_language_version_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.save_tip(world.zone_staff, world.zone, tip_input(texts={}))
    assert "title_nl" in caught.value.message_dict
    assert not Tip.objects.exists()


def test_a_half_written_language_version_is_refused_per_field(world):
    texts = {"nl": dict(NL), "fr": {"title": "Fermez toujours", "sms_text": "", "body": ""}}
    with pytest.raises(ValidationError) as caught:
        services.save_tip(world.zone_staff, world.zone, tip_input(texts=texts))
    assert {"sms_text_fr", "body_fr"} <= set(caught.value.message_dict)
    assert not Tip.objects.exists()


def test_a_tip_needs_a_theme(world):
    with pytest.raises(ValidationError) as caught:
        services.save_tip(world.zone_staff, world.zone, tip_input(themes=[]))
    assert "themes" in caught.value.message_dict


def test_a_municipal_prevention_service_writes_tips_for_its_municipality(world):
    tip = services.save_tip(world.municipal, world.zone, tip_input())
    assert tip.municipality == world.municipality
    assert services.can_edit_tip(world.municipal, tip)
    assert services.campaign_zones(world.municipal) == []


@pytest.mark.parametrize("who", ["member", "coordinator", "officer", "outsider"])
def test_others_cannot_write_tips(world, who):
    with pytest.raises(PermissionDenied):
        services.save_tip(getattr(world, who), world.zone, tip_input())


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<scr<script>ipt>alert(1)</script>",
        '<svg onload="alert(1)">',
    ],
)
def test_markdown_never_lets_a_script_through(evil):
    html = markdown.to_html(f"Hello\n\n{evil}\n\n**safe**")
    assert "<script" not in html.lower()
    assert "javascript:" not in html.lower()
    assert "onerror" not in html.lower() and "onload" not in html.lower()
    assert "<iframe" not in html.lower()
    assert "<strong>safe</strong>" in html


def test_the_public_tip_page_shows_sanitised_markdown(world, client):
    body = "Lees dit.\n\n<script>alert('x')</script>\n\n- **Sluit** af"
    tip = published_tip(world, texts={"nl": {**NL, "body": body}})
    answer = client.get(reverse("prevention:tip", args=[world.zone.code, tip.pk]))
    assert answer.status_code == 200
    assert b"<script>alert" not in answer.content
    assert b"<li><strong>Sluit</strong> af</li>" in answer.content


# --- The public page and feed -------------------------------------------------------------------


def test_the_public_page_needs_no_login_and_shows_only_published_tips(world, client):
    shown = published_tip(world)
    services.save_tip(
        world.zone_staff,
        world.zone,
        tip_input(texts={"nl": {**NL, "title": "Nog een ontwerp"}}),
    )
    answer = client.get(reverse("prevention:public", args=[world.zone.code]))
    assert answer.status_code == 200
    assert [t.pk for t in answer.context["page"]] == [shown.pk]
    assert b"Nog een ontwerp" not in answer.content


def test_the_public_page_searches_and_filters_by_theme(world, client):
    bike = published_tip(
        world,
        texts={"nl": {**NL, "title": "Fietsslot", "body": "Gebruik een goed fietsslot."}},
        themes=["bicycle"],
    )
    door = published_tip(world)
    url = reverse("prevention:public", args=[world.zone.code])
    assert [t.pk for t in client.get(url, {"q": "fietsslot"}).context["page"]] == [bike.pk]
    assert [t.pk for t in client.get(url, {"theme": "burglary"}).context["page"]] == [door.pk]


def test_a_draft_or_another_zones_tip_is_not_public(world, client):
    draft = services.save_tip(world.zone_staff, world.zone, tip_input())
    assert (
        client.get(reverse("prevention:tip", args=[world.zone.code, draft.pk])).status_code == 404
    )
    other = published_tip(world)
    url = reverse("prevention:tip", args=[world.other_zone.code, other.pk])
    assert client.get(url).status_code == 404


def test_the_feed_is_valid_atom(world, client):
    published_tip(world)
    published_tip(world, texts={"nl": {**NL, "title": "Fiets", "body": "Slot & <b>ketting</b>"}})
    answer = client.get(reverse("prevention:feed", args=[world.zone.code]))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    assert_valid_atom(answer.content)
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert {e.title for e in parsed.entries} == {"Sluit altijd af", "Fiets"}


def assert_valid_atom(document: bytes) -> None:
    """The rules of RFC 4287 that a feed must meet (section 4.1): one id, title and updated
    on the feed and on each entry, an author for each entry (its own or the feed's), dates
    in RFC 3339, at most one alternate link per type and language, and text constructs with
    a known type."""
    root = ET.fromstring(document)  # noqa: S314 - our own response, in a test
    assert root.tag == f"{ATOM}feed"

    def once(element, name: str) -> ET.Element:
        found = element.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{element.tag} needs exactly one {name}"
        return found[0]

    def rfc3339(value: str) -> None:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert "T" in value and (value.endswith("Z") or value[-6] in "+-")

    def text_construct(element: ET.Element) -> None:
        assert element.get("type", "text") in ("text", "html", "xhtml")

    for name in ("id", "title", "updated"):
        once(root, name)
    text_construct(once(root, "title"))
    rfc3339(once(root, "updated").text)
    feed_has_author = bool(root.findall(f"{ATOM}author"))
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            once(entry, name)
        text_construct(once(entry, "title"))
        rfc3339(once(entry, "updated").text)
        for published in entry.findall(f"{ATOM}published"):
            rfc3339(published.text)
        for summary in entry.findall(f"{ATOM}summary"):
            text_construct(summary)
        assert feed_has_author or entry.findall(f"{ATOM}author")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))
        for author in entry.findall(f"{ATOM}author") + root.findall(f"{ATOM}author"):
            once(author, "name")


# --- Campaigns ------------------------------------------------------------------------------------


def test_a_campaign_without_a_target_is_refused(world):
    tip = published_tip(world)
    with pytest.raises(ValidationError) as caught:
        services.create_campaign(
            world.zone_staff, world.zone, campaign_input(tip, network_kinds=[])
        )
    assert "whole_zone" in caught.value.message_dict
    assert not Campaign.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(world):
    tip = published_tip(world)
    start = timezone.now() + timedelta(days=10)
    data = campaign_input(
        tip, recurrence="yearly", starts_at=start, period_ends_on=(start - timedelta(days=1)).date()
    )
    with pytest.raises(ValidationError) as caught:
        services.create_campaign(world.zone_staff, world.zone, data)
    assert "period_ends_on" in caught.value.message_dict


def test_a_campaign_in_the_past_or_with_a_draft_tip_is_refused(world):
    draft = services.save_tip(world.zone_staff, world.zone, tip_input())
    data = campaign_input(draft, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        services.create_campaign(world.zone_staff, world.zone, data)
    assert {"tips", "starts_at"} <= set(caught.value.message_dict)


def test_only_zone_staff_run_campaigns(world):
    tip = published_tip(world)
    for person in (world.municipal, world.officer, world.member):
        with pytest.raises(PermissionDenied):
            services.create_campaign(person, world.zone, campaign_input(tip))


def test_a_campaign_reaches_exactly_the_targeted_members_through_the_real_sinks(
    world, settings, tips_any_time, now_sends
):
    world.other_network.kind = NetworkKind.FARMERS
    world.other_network.save()
    paused = PersonFactory()
    MembershipFactory(network=world.network, person=paused, status=MembershipStatus.PAUSED)
    tip = published_tip(world)
    campaign = services.create_campaign(world.zone_staff, world.zone, campaign_input(tip))
    with SmtpSink() as smtp, SimulatorServer(fail_prefix="+3249999") as simulator:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.SMS_TRANSPORT = "simulator"
        settings.SMS_SIMULATOR_URL = simulator.url
        sent = now_sends(services.send_due, campaign.starts_at + timedelta(seconds=1))
        texts = simulator.messages
    assert sent == 1
    ours = {world.member, world.steering, world.coordinator, world.officer}
    message = Message.objects.get(kind="tip")
    assert set(Recipient.objects.filter(message=message).values_list("person", flat=True)) == {
        p.pk for p in ours
    }
    assert sorted(smtp.handler.recipients()) == sorted(p.email for p in ours)
    assert world.their_member.email not in smtp.handler.recipients()
    assert paused.email not in smtp.handler.recipients()
    subjects = {m["Subject"] for m in smtp.handler.messages}
    assert subjects == {"Sluit altijd af"}
    assert texts == []  # the plan's tip rule has no SMS


def test_a_due_moment_is_sent_once_even_when_the_pass_runs_twice(world, now_sends):
    tip = published_tip(world)
    campaign = services.create_campaign(world.zone_staff, world.zone, campaign_input(tip))
    moment = campaign.starts_at + timedelta(minutes=1)
    assert now_sends(services.send_due, moment) == 1
    assert now_sends(services.send_due, moment + timedelta(minutes=5)) == 0
    assert CampaignSend.objects.count() == 1
    assert Message.objects.filter(kind="tip").count() == 1


def test_nothing_goes_out_before_the_start_or_after_a_stop(world, now_sends):
    tip = published_tip(world)
    campaign = services.create_campaign(
        world.zone_staff,
        world.zone,
        campaign_input(
            tip,
            recurrence="yearly",
            period_ends_on=(timezone.localtime(timezone.now() + timedelta(days=60)).date()),
        ),
    )
    assert services.send_due(campaign.starts_at - timedelta(minutes=1)) == 0
    services.stop(campaign, world.zone_staff)
    assert services.send_due(campaign.starts_at + timedelta(minutes=1)) == 0


def test_a_tip_for_farmers_goes_only_to_farmers_bins(world, now_sends):
    world.other_network.kind = NetworkKind.FARMERS
    world.other_network.save()
    tip = published_tip(world, network_kinds=[NetworkKind.FARMERS])
    campaign = services.create_campaign(
        world.zone_staff, world.zone, campaign_input(tip, network_kinds=[], whole_zone=True)
    )
    now_sends(services.send_due, campaign.starts_at + timedelta(seconds=1))
    message = Message.objects.get(kind="tip")
    assert list(message.networks.values_list("network", flat=True)) == [world.other_network.pk]


def test_the_campaign_shows_reach_and_seen_per_bin(world, now_sends, client):
    tip = published_tip(world)
    campaign = services.create_campaign(
        world.zone_staff, world.zone, campaign_input(tip, network_kinds=[], whole_zone=True)
    )
    now_sends(services.send_due, campaign.starts_at + timedelta(seconds=1))
    Recipient.objects.filter(person=world.member).update(seen_at=timezone.now())
    rows = {row["network"]: row for row in services.reach(campaign)}
    assert rows["BIN Ours"]["reached"] == 4 and rows["BIN Ours"]["seen"] == 1
    assert rows["BIN Theirs"]["reached"] == 2 and rows["BIN Theirs"]["seen"] == 0
    answer = log_in(client, world.zone_staff).get(
        reverse("prevention:campaign", args=[campaign.pk])
    )
    assert answer.status_code == 200
    assert b"campaign-reach" in answer.content


def test_staff_of_another_zone_cannot_open_a_campaign(world, client):
    tip = published_tip(world)
    campaign = services.create_campaign(world.zone_staff, world.zone, campaign_input(tip))
    stranger = PersonFactory()
    from buurtnet.networks.tests.factories import ZoneStaffFactory

    ZoneStaffFactory(zone=world.other_zone, person=stranger)
    answer = log_in(client, stranger).get(reverse("prevention:campaign", args=[campaign.pk]))
    assert answer.status_code == 404


def test_a_member_gets_403_on_the_prevention_pages(world, client):
    log_in(client, world.member)
    assert client.get(reverse("prevention:manage")).status_code == 403
    assert client.get(reverse("prevention:new_campaign")).status_code == 403


def test_zone_staff_write_and_publish_a_tip_over_http(world, client):
    log_in(client, world.zone_staff)
    data = {
        "zone": world.zone.pk,
        "title_nl": NL["title"],
        "sms_text_nl": NL["sms_text"],
        "body_nl": NL["body"],
        "themes": ["burglary"],
        "publish": "1",
    }
    answer = client.post(reverse("prevention:new_tip"), data)
    assert answer.status_code == 302
    assert Tip.objects.get().status == TipStatus.PUBLISHED
    empty = client.post(reverse("prevention:new_tip"), {"zone": world.zone.pk, "themes": []})
    assert empty.status_code == 400
    assert b"at least one language" in empty.content


def test_the_starter_set_has_twenty_tips_in_dutch_and_french_and_installs_once(world):
    added = services.install_starter_tips(world.zone)
    assert added >= 20
    tips = Tip.objects.filter(zone=world.zone, status=TipStatus.PUBLISHED).prefetch_related("texts")
    for tip in tips:
        languages = {t.language for t in tip.texts.all()}
        assert {"nl", "fr"} <= languages, tip.code
        for text in tip.texts.all():
            assert text.title and text.sms_text and text.body
            assert "<script" not in markdown.to_html(text.body)
    assert services.install_starter_tips(world.zone) == 0


# --- Found in review ---------------------------------------------------------------------------


def test_a_control_character_in_a_tip_never_breaks_the_feed(world, client):
    published_tip(world, texts={"nl": {**NL, "body": "regel een\x0bregel twee"}})
    answer = client.get(reverse("prevention:feed", args=[world.zone.code]))
    assert answer.status_code == 200
    assert_valid_atom(answer.content)


def test_a_campaign_is_checked_now_against_the_plans_and_the_tips_bin_types(world):
    plate = published_tip(world, texts={"nl": {**NL, "body": "Let op auto 1-ABC-123."}})
    farm = published_tip(world, network_kinds=[NetworkKind.FARMERS])
    with pytest.raises(ValidationError) as caught:
        services.create_campaign(
            world.zone_staff, world.zone, campaign_input(plate, tip_ids=[plate.pk, farm.pk])
        )
    problems = " ".join(caught.value.message_dict["tips"])
    assert "number plate" in problems
    assert "suits none of the BINs" in problems
    assert not Campaign.objects.exists()


def test_a_campaign_whose_author_left_the_zone_stops_and_says_why(world, now_sends):
    tip = published_tip(world)
    campaign = services.create_campaign(world.zone_staff, world.zone, campaign_input(tip))
    world.zone_staff.zone_staff.all().delete()
    assert now_sends(services.send_due, campaign.starts_at + timedelta(seconds=1)) == 0
    campaign.refresh_from_db()
    assert not campaign.is_active
    assert "no longer works for this zone" in campaign.sends.get().error


def test_a_crash_while_sending_leaves_the_moment_for_the_next_pass(world, now_sends, monkeypatch):
    tip = published_tip(world)
    campaign = services.create_campaign(world.zone_staff, world.zone, campaign_input(tip))
    moment = campaign.starts_at + timedelta(seconds=1)

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.messaging, "submit", crash)
    assert services.send_due(moment) == 0
    assert not CampaignSend.objects.exists()
    monkeypatch.undo()
    assert now_sends(services.send_due, moment) == 1


def test_reach_counts_people_not_messages(world, now_sends):
    first, second = published_tip(world), published_tip(world)
    campaign = services.create_campaign(
        world.zone_staff, world.zone, campaign_input(first, tip_ids=[first.pk, second.pk])
    )
    now_sends(services.send_due, campaign.starts_at + timedelta(seconds=1))
    now_sends(services.send_due, campaign.starts_at + timedelta(days=7, seconds=1))
    [row] = [r for r in services.reach(campaign) if r["network"] == "BIN Ours"]
    assert (row["messages"], row["reached"]) == (2, 4)


def test_tips_go_out_in_the_order_they_were_ticked(world, client):
    first, second = published_tip(world), published_tip(world)
    log_in(client, world.zone_staff)
    start = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("prevention:new_campaign"),
        {
            "zone": world.zone.pk,
            "name": "Volgorde",
            "tips": [str(first.pk), str(second.pk)],
            "network_kinds": ["residents"],
            "recurrence": "once",
            "starts_at": start,
            "every_days": 7,
        },
    )
    assert answer.status_code == 302, answer.content
    campaign = Campaign.objects.get()
    assert [i.tip_id for i in campaign.items.all()] == [first.pk, second.pk]


def test_junk_in_the_campaign_form_is_a_clear_error(world, client):
    log_in(client, world.zone_staff)
    answer = client.post(
        reverse("prevention:new_campaign"),
        {"zone": world.zone.pk, "name": "x", "tips": ["99999999999999999999999"]},
    )
    assert answer.status_code == 400
    assert not Campaign.objects.exists()


def test_a_campaign_decades_ahead_is_refused(world):
    tip = published_tip(world)
    far = timezone.now() + timedelta(days=365 * 20)
    with pytest.raises(ValidationError) as caught:
        services.create_campaign(world.zone_staff, world.zone, campaign_input(tip, starts_at=far))
    assert "starts_at" in caught.value.message_dict


def test_the_email_text_of_a_tip_has_no_html_tags(world):
    assert markdown.to_text("Hi <script>alert(1)</script> **there** <b>x</b>") == "Hi  there x"
