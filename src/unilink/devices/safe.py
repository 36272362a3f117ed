"""Safe rendering: what a customer typed never reaches a device config unchecked.

Two layers, both strict:

1. **Patterns** (`check_description`, `check_identifier`, `check_port`): the value must match a
   small allow-list of characters before it enters a `DeviceIntent`. A refusal is a
   `ValidationError` naming the field, the value and what is accepted.
2. **Per-vendor quoting** (`quote(vendor, text)`): every customer string is passed through the
   vendor's quoting filter in the templates. The filter re-checks the characters (defence in depth:
   a template author who forgets step 1 still cannot emit a newline or break out of the quotes)
   and wraps the value the way that vendor's CLI expects.

Why allow-lists rather than escaping alone: each vendor's CLI has its own comment characters,
line continuations and quoting rules (Junos `#` and `;`, IOS-XR rest-of-line descriptions, SR OS
MD-CLI `"`, FRR `!`); an allow-list that excludes all of them is simpler to prove safe than four
escaping schemes.
"""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape as xml_escape

from unilink.errors import ValidationError

# Descriptions and customer names: printable ASCII letters, digits, space and a few punctuation
# marks that no supported CLI treats specially inside a quoted string. No quotes, backslash,
# semicolon, braces, brackets, `#`, `!`, `$`, backtick, `|`, `<`, `>`, control characters or non-ASCII.
# No leading or trailing space (a vendor may strip it, and then the device's config no longer reads
# back as what we rendered).
_CHARS = "A-Za-z0-9 ._,'()/&+:@=-"
_EDGE = "A-Za-z0-9._,'()/&+:@=-"
DESCRIPTION_RE = re.compile(rf"\A[A-Za-z0-9](?:[{_CHARS}]{{0,78}}[{_EDGE}])?\Z")
DESCRIPTION_ACCEPTED = ("1-80 characters: ASCII letters, digits, space and . _ , ' ( ) / & + : @ = -, "
                        "starting with a letter or digit, not ending with a space")
# What the quoting filters accept: the same characters, up to 200 (a description built from two
# customer names, e.g. "<tenant> <site>").
QUOTABLE_RE = re.compile(rf"\A[A-Za-z0-9](?:[{_CHARS}]{{0,198}}[{_EDGE}])?\Z")
QUOTABLE_ACCEPTED = DESCRIPTION_ACCEPTED.replace("1-80", "1-200")

# Identifiers that become config keywords (VRF names, policy names): no spaces at all.
IDENTIFIER_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,31}\Z")
IDENTIFIER_ACCEPTED = "1-32 characters: ASCII letters, digits, _ and -, starting with a letter"

# Physical port names as vendors spell them: ge-0/0/1, GigabitEthernet0/0/0/1, 1/1/c1/1, eth1.
PORT_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9/:._-]{0,47}\Z")
PORT_ACCEPTED = "1-48 characters: ASCII letters, digits and / : . _ -, starting with a letter or digit"

# Route distinguishers and route targets: ASN:number or IPv4:number.
RD_RT_RE = re.compile(r"\A(?:\d{1,10}|\d{1,3}(?:\.\d{1,3}){3}):\d{1,10}\Z")
RD_RT_ACCEPTED = "ASN:number or IPv4:number, e.g. 65000:100 or 10.255.0.1:7"


def _check(value: object, pattern: re.Pattern[str], *, field: str, accepted: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationError(f"{value!r} is not a valid {what}", field=field, value=value, accepted=accepted)
    return value


def check_description(value: object, *, field: str) -> str:
    """A customer-typed name or description that may appear (quoted) in a device config."""
    return _check(value, DESCRIPTION_RE, field=field, accepted=DESCRIPTION_ACCEPTED, what="description")


def check_identifier(value: object, *, field: str) -> str:
    return _check(value, IDENTIFIER_RE, field=field, accepted=IDENTIFIER_ACCEPTED, what="identifier")


def check_port(value: object, *, field: str) -> str:
    return _check(value, PORT_RE, field=field, accepted=PORT_ACCEPTED, what="port name")


def check_rd_rt(value: object, *, field: str) -> str:
    return _check(value, RD_RT_RE, field=field, accepted=RD_RT_ACCEPTED, what="route distinguisher/target")


def _recheck(text: object) -> str:
    """The quoting filters' own guard: refuse anything the description pattern would refuse."""
    if not isinstance(text, str) or not QUOTABLE_RE.match(text):
        raise ValidationError(f"{text!r} cannot be quoted safely", field="description", value=text,
                              accepted=QUOTABLE_ACCEPTED)
    return text


def quote_junos(text: object) -> str:
    # Junos set-style: a double-quoted string; the pattern excludes `"` and `\`, so no escapes needed.
    return f'"{_recheck(text)}"'


def quote_iosxr(text: object) -> str:
    # IOS-XR takes the rest of the line as the description; quotes would become part of it.
    return _recheck(text)


def quote_sros(text: object) -> str:
    # SR OS MD-CLI: double-quoted string.
    return f'"{_recheck(text)}"'


def quote_frr(text: object) -> str:
    # FRR (vtysh): rest-of-line, like IOS.
    return _recheck(text)


def quote_json(text: object) -> str:
    # OpenConfig JSON: a JSON string literal (json.dumps escapes everything; the recheck keeps the
    # same policy as the CLI vendors so that one description is valid on every vendor).
    return json.dumps(_recheck(text))


def quote_xml(text: object) -> str:
    # XML element text (ietf-interfaces for NETCONF): the pattern excludes < and >, escape & anyway.
    return xml_escape(_recheck(text))


QUOTERS = {
    "junos": quote_junos,
    "iosxr": quote_iosxr,
    "sros": quote_sros,
    "frr": quote_frr,
    "openconfig": quote_json,
    "ietf": quote_xml,
}


def quote(vendor: str, text: object) -> str:
    try:
        quoter = QUOTERS[vendor]
    except KeyError:
        raise ValidationError("unknown vendor", field="vendor", value=vendor,
                              accepted=", ".join(sorted(QUOTERS))) from None
    return quoter(text)
