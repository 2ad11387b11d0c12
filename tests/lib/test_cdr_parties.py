"""Who is outside: outside numbers, trunks listed, entered through, or seen carrying calls."""

import io
from datetime import UTC, datetime

import pytest

from salespulse.lib.cdr import (
    Leg,
    LegReader,
    Outside,
    attribute,
    outside_number,
    sales_call,
    service_leg,
)
from salespulse.lib.tabular import open_table
from tests.telephony import pbxfiles

NOW = datetime(2026, 2, 10, tzinfo=UTC)
SELLERS = {"301": 1, "302": 2}


def leg(**fields) -> Leg:
    base = dict(line=1, external_id="x", call_key="k", start=NOW, end=NOW, answer=None,
                duration=0, billsec=0, disposition="answered")  # fmt: skip
    return Leg(**(base | fields))


@pytest.mark.parametrize(
    ("number", "outside"),
    [("89245555937", True), ("+7 (924) 555-59-37", True), ("8 924 555 59 37", True),
     ("4951234", True), ("+44 20", True), ("301", False), ("211553", False), ("*60", False),
     ("", False), ("s", False), ("anonymous", False)],
)  # fmt: skip
def test_an_outside_number(number, outside):
    assert outside_number(number) is outside


DIGIT_TRUNK_IN = dict(channel="SIP/211553-00000003", dstchannel="SIP/301-00000004",
                      src="89245555937", dst="74950001122")  # fmt: skip


def test_a_digit_named_trunk_was_taken_for_an_extension_and_is_outside_now():
    """The bug: 211553 matches \\d{2,6}, so the inbound call was "internal"."""
    plain = Outside(contexts=())
    assert attribute(leg(**DIGIT_TRUNK_IN), SELLERS.get, plain).direction == "internal"
    listed = Outside(["211553"], contexts=())
    assert attribute(leg(**DIGIT_TRUNK_IN), SELLERS.get, listed).direction == "inbound"
    by_context = Outside()  # the defaults include *-pstn
    answered = leg(**DIGIT_TRUNK_IN, dcontext="stadion-pstn")
    assert attribute(answered, SELLERS.get, by_context).direction == "inbound"


def test_a_trunk_is_learned_from_what_it_carries():
    outside = Outside(contexts=())
    out = leg(channel="SIP/301-6", dstchannel="SIP/211553-7", src="301", dst="89245555937")
    outside.learn(out, SELLERS.get)
    assert outside.learned == {"211553"}
    assert attribute(leg(**DIGIT_TRUNK_IN), SELLERS.get, outside).direction == "inbound"
    coming_in = Outside(contexts=())
    coming_in.learn(leg(channel="SIP/211553-3", dstchannel="SIP/305-4", src="89245555937",
                        dst="600"), SELLERS.get)  # fmt: skip
    assert coming_in.learned == {"211553"}


def test_a_seller_is_never_learned_as_a_trunk_and_a_forwarded_call_teaches_nothing():
    outside = Outside(contexts=())
    # 301 dials out with the office's number as caller ID.
    outside.learn(leg(channel="SIP/301-1", dstchannel="SIP/211553-2", src="74950001122",
                      dst="89245555937"), SELLERS.get)  # fmt: skip
    assert "301" not in outside.learned
    # An unmapped phone forwarding an outside caller on to a mobile: which side is the
    # trunk is not clear, so nothing is learned.
    outside.learn(leg(channel="SIP/305-1", dstchannel="SIP/307-2", src="89245555937",
                      dst="89161234567"), SELLERS.get)  # fmt: skip
    assert outside.learned == set()
    # An anonymous call in over the digit-named trunk to a DID, answered by an unmapped
    # phone: the phone is not taken for a trunk.
    outside.learn(leg(channel="SIP/211553-1", dstchannel="SIP/305-2", src="anonymous",
                      dst="74950001122"), SELLERS.get)  # fmt: skip
    assert outside.learned == set()


def test_trunks_are_never_unmapped_agents_but_unknown_extensions_are():
    outside = Outside(["211553"], contexts=())
    trunk_to_nobody = leg(channel="SIP/211553-1", dstchannel="SIP/305-2", src="89245555937",
                          dst="600")  # fmt: skip
    who = attribute(trunk_to_nobody, SELLERS.get, outside)
    assert (who.employee_id, who.agent, who.direction) == (None, "305", "inbound")
    out = leg(channel="SIP/305-1", dstchannel="SIP/211553-2", src="305", dst="89245555937")
    assert attribute(out, SELLERS.get, outside).agent == "305"
    both_trunks = leg(channel="SIP/211553-1", dstchannel="SIP/211553-2", src="89245555937",
                      dst="89161234567")  # fmt: skip
    assert attribute(both_trunks, SELLERS.get, outside).agent == ""


def test_a_seller_calling_in_over_a_trunk_is_found_by_their_number():
    outside = Outside(["211553"], contexts=())
    mobile = leg(channel="SIP/211553-1", dstchannel="", src="+7 916 111-22-33",
                 dst="89035550000")  # fmt: skip
    who = attribute(mobile, {"79161112233": 4}.get, outside)
    assert (who.employee_id, who.direction) == (4, "outbound")


@pytest.mark.parametrize(
    ("fields", "service"),
    [(dict(dst="*60", lastapp="Playback"), True), (dict(dst="*97"), True),
     (dict(dst="vmu301", lastapp="VoiceMail"), True), (dict(dst="302", lastapp="VoiceMail"), True),
     (dict(dst="302", lastapp="Dial"), False), (dict(dst="89161234567"), False)],
)  # fmt: skip
def test_feature_codes_and_voicemail_are_no_ones_calls(fields, service):
    assert service_leg(leg(**fields)) is service
    who = attribute(leg(channel="SIP/301-1", src="301", **fields), SELLERS.get, Outside())
    assert (who.direction == "service") is service
    if service:
        assert not sales_call(who.direction, {"outbound", "inbound", "internal"})


def test_an_internal_call_is_a_sales_call_only_where_the_source_counts_those():
    assert not sales_call("internal", {"outbound", "inbound"})
    assert sales_call("internal", {"outbound", "inbound", "internal"})
    assert not sales_call("outbound", {"inbound"})
    assert sales_call("", {"inbound"})


def test_each_pbx_style_gets_its_calls_right():
    """The README's examples: a Russian Asterisk over a digit-named trunk, FreePBX."""

    def attributed(text: str) -> list[tuple]:
        outside = Outside()
        with open_table(io.BytesIO(text.encode())) as table:
            legs = list(LegReader("detect", pbxfiles.MSK, now=NOW).legs(table.rows()))
        for item in legs:
            outside.learn(item, SELLERS.get)
        return [attribute(item, SELLERS.get, outside) for item in legs]

    stadion = attributed(pbxfiles.stadion_master_csv())
    assert [(w.employee_id, w.direction) for w in stadion] == [
        (2, "inbound"), (1, "inbound"), (1, "outbound"), (2, "outbound"), (2, "outbound"),
        (2, "outbound"), (1, "inbound"), (1, "inbound"), (1, "outbound"), (1, "service"),
        (2, "service"), (1, "internal"),
    ]  # fmt: skip
    freepbx = attributed(pbxfiles.freepbx_cdr())
    assert [(w.employee_id, w.direction) for w in freepbx] == [
        (1, "inbound"),
        (2, "inbound"),
        (1, "outbound"),
    ]
