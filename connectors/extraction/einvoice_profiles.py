"""The name of an e-invoice's profile from its specification identifier (CII guideline ID, UBL CustomizationID).

The identifiers are URNs such as `urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0`:
the core standard, then the profile a community built on it. The name says what a clerk knows the
document as (XRechnung 3.0, Factur-X BASIC WL); an identifier not known here is shown as it is.
"""

import re

EN_16931 = "urn:cen.eu:en16931:2017"

_LEVELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "comfort": "COMFORT",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}
_LEVEL = "(" + "|".join(sorted(_LEVELS, key=len, reverse=True)) + ")"

# Most specific first: XRechnung and Peppol are profiles of EN 16931 and their URNs contain its URN.
_PROFILES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"xrechnung_(\d+(?:\.\d+)*)#conformant#.*extension", re.IGNORECASE), "XRechnung {0} extension"),
    (re.compile(r"xrechnung_(\d+(?:\.\d+)*)", re.IGNORECASE), "XRechnung {0}"),
    (re.compile(r"peppol\.eu:2017:poacc:billing:(\d+\.\d+)", re.IGNORECASE), "Peppol BIS Billing {0}"),
    (re.compile(r"factur-x\.eu:1p0:" + _LEVEL + r"\b", re.IGNORECASE), "Factur-X {level}"),
    (re.compile(r"zugferd\.de:2p0:" + _LEVEL + r"\b", re.IGNORECASE), "ZUGFeRD 2.0 {level}"),
    (re.compile(r"ferd:CrossIndustryDocument:invoice:1p0:" + _LEVEL + r"\b", re.IGNORECASE), "ZUGFeRD 1.0 {level}"),
)


def profile_name(identifier: str | None, bare_en16931: str) -> str:
    """The profile an identifier names; `bare_en16931` is the name for the core standard's own URN.

    The bare EN 16931 URN is what Factur-X and ZUGFeRD 2 write for their EN 16931 profile in CII,
    and what plain EN 16931 UBL writes, so the syntax's reader says which name applies.
    """
    if identifier is None:
        return "no profile named"
    if identifier == EN_16931:
        return bare_en16931
    for pattern, name in _PROFILES:
        match = pattern.search(identifier)
        if match is not None:
            if "{level}" in name:
                return name.format(level=_LEVELS[match.group(1).lower()])
            return name.format(match.group(1))
    return f"profile {identifier}"
