"""The AGS (Amtlicher Gemeindeschlüssel) and the Land it names: pure rules, no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.alliances.states import (
    STATE_BY_AGS_PREFIX,
    STATE_NAMES,
    STATES,
    state_from_ags,
    validate_ags,
)


@pytest.mark.parametrize(("ags", "state"), [
    ("01001000", "DE-SH"),  # Flensburg
    ("02000000", "DE-HH"),  # Hamburg
    ("03102000", "DE-NI"),  # Salzgitter
    ("04011000", "DE-HB"),  # Bremen
    ("05915000", "DE-NW"),  # Hamm
    ("06611000", "DE-HE"),  # Kassel
    ("07315000", "DE-RP"),  # Mainz
    ("08111000", "DE-BW"),  # Stuttgart
    ("09563000", "DE-BY"),  # Fürth
    ("10041100", "DE-SL"),  # Saarbrücken
    ("11000000", "DE-BE"),  # Berlin
    ("12054000", "DE-BB"),  # Potsdam
    ("13075000", "DE-MV"),  # Vorpommern-Greifswald
    ("14612000", "DE-SN"),  # Dresden
    ("15003000", "DE-ST"),  # Magdeburg
    ("16051000", "DE-TH"),  # Erfurt
])
def test_every_land_is_derived_from_its_prefix(ags: str, state: str) -> None:
    assert validate_ags(ags) == state
    assert state_from_ags(ags) == state


@pytest.mark.parametrize(("ags", "message"), [
    ("", "8 digits"),
    ("0956300", "8 digits"),         # leading zero lost, e.g. by a spreadsheet
    ("095630000", "8 digits"),
    ("0956300a", "8 digits"),
    ("09 63000", "8 digits"),
    (" 9563000", "8 digits"),
    ("09563000\n", "8 digits"),
    ("0956300²", "8 digits"),        # str.isdigit() is True for superscripts
    ("٠٩٥٦٣٠٠٠", "8 digits"),        # Arabic-Indic digits are digits too, but not ASCII
    ("00000000", "no Land"),
    ("17000000", "no Land"),
    ("99999999", "no Land"),
])
def test_invalid_ags_is_refused_with_a_reason(ags: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_ags(ags)


def test_the_sixteen_laender_are_complete_and_consistent() -> None:
    assert len(STATES) == 16
    assert set(STATE_BY_AGS_PREFIX.values()) == set(STATE_NAMES) == set(STATES)
    assert sorted(STATE_BY_AGS_PREFIX) == [f"{n:02d}" for n in range(1, 17)]
    assert STATE_NAMES["DE-BW"] == "Baden-Württemberg"


def test_state_from_ags_does_not_validate_the_rest() -> None:
    assert state_from_ags("09") == "DE-BY"
    assert state_from_ags("17000000") is None
    assert state_from_ags("") is None


@given(prefix=st.integers(1, 16), rest=st.integers(0, 999_999))
def test_any_eight_digits_with_a_land_prefix_are_valid(prefix: int, rest: int) -> None:
    ags = f"{prefix:02d}{rest:06d}"
    assert validate_ags(ags) == STATE_BY_AGS_PREFIX[ags[:2]]


@given(st.text(max_size=12))
def test_validation_never_fails_other_than_with_value_error(text: str) -> None:
    try:
        state = validate_ags(text)
    except ValueError:
        return
    assert len(text) == 8 and text.isascii() and text.isdigit()
    assert state in STATES
