import pytest

from buurtnet.messaging.sms_segments import GSM_7, UCS_2, SmsCount, count, non_gsm_characters


def test_empty_text_is_no_segments():
    assert count("") == SmsCount(GSM_7, units=0, segments=0, per_segment=160, remaining=160)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(1, 1, 159), (160, 1, 0), (161, 2, 145), (306, 2, 0), (307, 3, 152)],
)
def test_gsm_segment_boundaries(length, segments, remaining):
    result = count("a" * length)
    assert (result.encoding, result.units, result.segments) == (GSM_7, length, segments)
    assert result.remaining == remaining
    assert result.per_segment == (160 if segments == 1 else 153)


def test_accented_letters_of_the_default_alphabet_stay_gsm():
    text = "éèùìòÇØøÅåÄÖÑÜ§¿äöñüàÉÆæßΓΔ"
    assert count(text).encoding == GSM_7
    assert non_gsm_characters(text) == []


@pytest.mark.parametrize("char", list("^{}\\[~]|€"))
def test_extension_characters_count_two(char):
    result = count(char)
    assert (result.encoding, result.units) == (GSM_7, 2)


def test_escape_pair_is_not_split_across_segments():
    # 152 + 2 + 152 = 306 septets would fit two segments, but the € cannot straddle.
    result = count("a" * 152 + "€" + "a" * 152)
    assert result.units == 306
    assert result.segments == 3
    assert result.remaining == 153 - 1


def test_escape_pair_fitting_exactly_stays_in_segment():
    result = count("a" * 151 + "€" + "a" * 153)
    assert (result.units, result.segments, result.remaining) == (306, 2, 0)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(70, 1, 0), (71, 2, 63), (134, 2, 0), (135, 3, 66)],
)
def test_ucs2_segment_boundaries(length, segments, remaining):
    result = count("ê" * length)
    assert (result.encoding, result.units, result.segments) == (UCS_2, length, segments)
    assert result.remaining == remaining
    assert result.per_segment == (70 if segments == 1 else 67)


@pytest.mark.parametrize("char", ["’", "\u00a0", "ç", "–"])
def test_one_lookalike_character_makes_the_whole_message_ucs2(char):
    text = "Het is vandaag " + char + " rustig in de wijk." + "a" * 60
    result = count(text)
    assert result.encoding == UCS_2
    assert result.segments == 2
    assert count(text.replace(char, "'")).segments == 1


def test_emoji_counts_two_units():
    result = count("Hallo 👋")
    assert (result.encoding, result.units, result.remaining) == (UCS_2, 8, 62)


def test_emoji_is_never_split_across_segments():
    # 66 + 2 + 66 = 134 units would fit two segments, but the surrogate pair cannot straddle.
    result = count("ê" * 66 + "👮" + "ê" * 66)
    assert result.units == 134
    assert result.segments == 3


def test_non_gsm_characters_are_distinct_and_in_order():
    assert non_gsm_characters("Café’s ’n ê 👋 €") == ["’", "ê", "👋"]
