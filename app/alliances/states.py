"""The 16 Länder (ISO 3166-2:DE) and the official municipality key (AGS) that names them."""

import re

# ASCII digits only: str.isdigit() also accepts "²" and digits of other scripts.
_AGS_PATTERN = re.compile(r"[0-9]{8}")

STATE_BY_AGS_PREFIX: dict[str, str] = {
    "01": "DE-SH", "02": "DE-HH", "03": "DE-NI", "04": "DE-HB", "05": "DE-NW", "06": "DE-HE",
    "07": "DE-RP", "08": "DE-BW", "09": "DE-BY", "10": "DE-SL", "11": "DE-BE", "12": "DE-BB",
    "13": "DE-MV", "14": "DE-SN", "15": "DE-ST", "16": "DE-TH",
}
STATE_NAMES: dict[str, str] = {
    "DE-SH": "Schleswig-Holstein", "DE-HH": "Hamburg", "DE-NI": "Niedersachsen",
    "DE-HB": "Bremen", "DE-NW": "Nordrhein-Westfalen", "DE-HE": "Hessen",
    "DE-RP": "Rheinland-Pfalz", "DE-BW": "Baden-Württemberg", "DE-BY": "Bayern",
    "DE-SL": "Saarland", "DE-BE": "Berlin", "DE-BB": "Brandenburg",
    "DE-MV": "Mecklenburg-Vorpommern", "DE-SN": "Sachsen", "DE-ST": "Sachsen-Anhalt",
    "DE-TH": "Thüringen",
}
STATES = tuple(STATE_NAMES)


def state_from_ags(ags: str) -> str | None:
    return STATE_BY_AGS_PREFIX.get(ags[:2])


def validate_ags(ags: str) -> str:
    """Return the Land of a valid 8-digit AGS or raise ValueError saying what is wrong."""
    if not _AGS_PATTERN.fullmatch(ags):
        raise ValueError("AGS must be exactly 8 digits")
    state = state_from_ags(ags)
    if state is None:
        raise ValueError(f"AGS starts with {ags[:2]}, which is no Land (01-16)")
    return state
