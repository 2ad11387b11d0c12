"""Who is on a leg: our seller, an outside party (a number or a trunk), or neither.

A side of a leg is its channel's peer and its number (caller: ``channel`` and ``src``;
callee: ``dstchannel`` and ``dst``). A side is **outside** when its peer is a trunk or its
number is an outside number; a trunk is a peer the source lists, the caller's peer of a
leg that entered through an outside context, or a peer seen carrying outside numbers
(bringing outside caller IDs in, or taking outside numbers out). Trunks are never taken
for extensions, whatever their names (providers name them by account numbers).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from salespulse.lib.cdr.counting import SERVICE
from salespulse.lib.cdr.reading import Leg

Lookup = Callable[[str], int | None]  # key (extension, login, phone) -> employee id

DEFAULT_EXTENSION = r"\d{2,6}"
# The contexts a stock FreePBX/Asterisk dialplan gives calls from providers; a source
# adds its own ("stadion-pstn").
DEFAULT_OUTSIDE_CONTEXTS = ("from-trunk*", "from-pstn*", "*-pstn", "from-external*", "from-did*")


_TECH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def channel_peer(channel: str) -> tuple[str, bool]:
    """The peer of a channel name, and whether it is a Local channel (a dialplan hop).

    ``SIP/101-0000001a`` -> ``("101", False)``; ``PJSIP/ivanov-00000003`` -> ``("ivanov",
    False)``; ``Local/101@from-queue-00000012;2`` -> ``("101", True)``; ``""`` -> ``("", False)``.
    A channel name is ``TECH/rest`` (TECH of ASCII letters, digits and ``_``); anything
    else names no peer. Plain string work, no regex: it runs twice for every CDR row.
    """
    channel = channel.strip()
    slash = channel.find("/")
    if slash <= 0 or slash == len(channel) - 1 or "\n" in channel:
        return "", False
    tech = channel[:slash]
    if not _TECH_CHARS.issuperset(tech):
        return "", False
    rest = channel[slash + 1 :]
    if tech.lower() == "local":
        return rest.split("@", 1)[0], True
    # The suffix after the last "-" is the channel's sequence number, not part of the peer
    # (peers may themselves contain "-", e.g. "trunk-mts-0000001a").
    peer = rest.rsplit("-", 1)[0] if "-" in rest else rest
    return peer.split("/", 1)[0], False


_PHONE_JUNK = re.compile(r"[\s()\-+.]")


def phone_key(number: str) -> str:
    """A phone number as a lookup key: digits only, Russian ``8XXXXXXXXXX`` as ``7XXXXXXXXXX``."""
    # Most keys are already bare digits (an extension, a number as the PBX wrote it).
    digits = number if number.isdigit() else _PHONE_JUNK.sub("", number)
    if len(digits) == 11 and digits[0] == "8" and digits.isdigit():
        return "7" + digits[1:]
    return digits


def outside_number(number: str) -> bool:
    """A number of the telephone network, not of the PBX: 7+ digits, or ``+`` and digits.

    A national prefix (``8 916 …``, ``0 20 …``) makes a number long enough by itself.
    """
    if len(number) >= 7 and number.isdigit():
        return True
    digits = _PHONE_JUNK.sub("", number)
    if not digits.isdigit():
        return False
    return len(digits) >= 7 or (number.lstrip().startswith("+") and len(digits) >= 3)


_SERVICE_APPS = frozenset(("voicemail", "voicemailmain", "vmauthenticate"))
_SERVICE_DST = re.compile(r"\*.*|vm[a-z]?\d+")


def service_leg(leg: Leg) -> bool:
    """A feature code (``*60``, ``*97``) or voicemail: the PBX, not a person, on the line."""
    return (
        bool(leg.dst) and _SERVICE_DST.fullmatch(leg.dst) is not None
    ) or leg.lastapp.casefold() in _SERVICE_APPS


def _globs(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p.strip().casefold()) for p in patterns if p.strip()]
    return re.compile("|".join(parts)) if parts else None


def split_list(text: str) -> list[str]:
    """A setting's list: names separated by commas, semicolons, spaces or lines."""
    return [part for part in re.split(r"[\s,;]+", text) if part]


class Outside:
    """A source's knowledge of what is outside: its trunks and its outside contexts.

    `trunks` and `contexts` are names or shell-style patterns (``trunk-*``). Peers seen
    carrying outside numbers are learned (`learn`) for the rest of the import.
    """

    def __init__(
        self,
        trunks: Iterable[str] = (),
        contexts: Iterable[str] = DEFAULT_OUTSIDE_CONTEXTS,
        extension: str | re.Pattern[str] = DEFAULT_EXTENSION,
    ) -> None:
        self._trunks = _globs(trunks)
        self._contexts = _globs(contexts)
        self.extension = re.compile(extension) if isinstance(extension, str) else extension
        self.learned: set[str] = set()

    def listed(self, peer: str) -> bool:
        return self._trunks is not None and self._trunks.fullmatch(peer.casefold()) is not None

    def trunk(self, peer: str) -> bool:
        return bool(peer) and (peer in self.learned or self.listed(peer))

    def outside_context(self, context: str) -> bool:
        return (
            bool(context)
            and self._contexts is not None
            and self._contexts.fullmatch(context.casefold()) is not None
        )

    def learn(self, leg: Leg, lookup: Lookup) -> None:
        """Remember the peers this leg shows to be trunks (none that is a seller's)."""
        caller, caller_local = channel_peer(leg.channel)
        callee, callee_local = channel_peer(leg.dstchannel)
        caller = "" if caller_local else caller
        callee = "" if callee_local else callee
        caller_outside = outside_number(leg.src)
        callee_outside = outside_number(leg.dst)
        learned = self.learned
        # Calls coming in: through an outside context, or an outside caller ID dialling
        # a number of ours (not one going on out: that is a forwarded call).
        if caller and caller not in learned and lookup(caller) is None:
            if self.outside_context(leg.dcontext) or (caller_outside and not callee_outside):
                learned.add(caller)
        # Calls going out: an outside number dialled from a phone of ours.
        if callee and callee_outside and callee not in learned and lookup(callee) is None:
            ours = (
                bool(caller)
                and caller not in learned
                and (lookup(caller) is not None or self.extension.fullmatch(caller) is not None)
            ) or (bool(leg.src) and self.extension.fullmatch(leg.src) is not None)
            if ours and not caller_outside:
                learned.add(callee)


@dataclass(slots=True, frozen=True)
class Attribution:
    employee_id: int | None
    agent: str  # the key that matched, or an unmapped agent-looking key ("" for none)
    direction: str  # outbound | inbound | internal | service | "" (unknown)


def _resolve(lookup: Lookup, *keys: str) -> tuple[int | None, str]:
    for key in keys:
        if not key:
            continue
        if (found := lookup(key)) is not None:
            return found, key
        phone = phone_key(key)
        if phone != key and phone and (found := lookup(phone)) is not None:
            return found, key
    return None, ""


@dataclass(slots=True)
class _Side:
    peer: str
    local: bool
    number: str
    trunk: bool
    employee: int | None = None
    key: str = ""

    def internal(self, extension: re.Pattern[str]) -> bool:
        """A phone of ours: a seller's (not through a Local hop) or an extension's."""
        if self.trunk:
            return False
        if self.employee is not None and not self.local:
            return True
        key = self.number if (self.local or not self.peer) else self.peer
        return bool(key) and not outside_number(key) and extension.fullmatch(key) is not None

    def agent_key(self, extension: re.Pattern[str]) -> str:
        """An extension-looking key of nobody's, to list for the admin ("": none)."""
        if self.trunk:
            return ""
        for key in (self.peer, self.number) if not self.local else (self.peer,):
            if key and not outside_number(key) and extension.fullmatch(key):
                return key
        return ""


def attribute(leg: Leg, lookup: Lookup, outside: Outside | re.Pattern[str]) -> Attribution:
    """Who of our sellers is on this leg, and which way the call went for them.

    A seller on the caller side made the call (outbound), on the callee side took it
    (inbound); when the other side is a phone of ours it is internal. A Local channel is
    a dialplan hop: it names the seller it leads to but says nothing about where the call
    came from. A trunk side is found by its number only (a seller's mobile coming in
    over a trunk), never by its peer. Nobody's legs get the direction an unmapped agent
    on them would have, so mapping the agent later keeps it.
    """
    if not isinstance(outside, Outside):
        outside = Outside(extension=outside)
    extension = outside.extension
    service = service_leg(leg)

    if leg.agent:
        employee, key = _resolve(lookup, leg.agent)
        direction = leg.direction
        caller_peer = channel_peer(leg.channel)[0]
        callee_peer = channel_peer(leg.dstchannel)[0]
        if not direction and leg.agent in (leg.src, caller_peer):
            direction = "outbound"
        elif not direction and leg.agent in (leg.dst, callee_peer):
            direction = "inbound"
        return Attribution(employee, key or leg.agent, SERVICE if service else direction)

    caller_peer, caller_local = channel_peer(leg.channel)
    callee_peer, callee_local = channel_peer(leg.dstchannel)
    caller = _Side(
        caller_peer,
        caller_local,
        leg.src,
        not caller_local and (outside.trunk(caller_peer) or outside.outside_context(leg.dcontext)),
    )
    callee = _Side(
        callee_peer, callee_local, leg.dst, not callee_local and outside.trunk(callee_peer)
    )
    for side in (caller, callee):
        keys = (side.number,) if side.trunk else (side.peer, side.number)
        side.employee, side.key = _resolve(lookup, *keys)

    def result(employee: int | None, key: str, direction: str) -> Attribution:
        return Attribution(employee, key, SERVICE if service else direction)

    if caller.employee is not None and callee.employee in (None, caller.employee):
        if callee.employee == caller.employee and caller.local:
            # Local/101@…;2 -> SIP/101: the hop into the seller's phone, an incoming leg.
            other_internal = bool(leg.src) and _Side("", True, leg.src, False).internal(extension)
            return result(callee.employee, callee.key, "internal" if other_internal else "inbound")
        if leg.direction:
            return result(caller.employee, caller.key, leg.direction)
        return result(
            caller.employee, caller.key, "internal" if callee.internal(extension) else "outbound"
        )
    if callee.employee is not None and caller.employee is None:
        if leg.direction:
            return result(callee.employee, callee.key, leg.direction)
        return result(
            callee.employee, callee.key, "internal" if caller.internal(extension) else "inbound"
        )
    if caller.employee is not None and callee.employee is not None:
        # Two different sellers: a call between colleagues, counted for the one who called.
        return result(caller.employee, caller.key, "internal")
    # Nobody we know: list the side that looks like a person's extension, if any.
    if key := callee.agent_key(extension):
        return result(None, key, "internal" if caller.internal(extension) else "inbound")
    if key := caller.agent_key(extension):
        return result(None, key, "internal" if callee.internal(extension) else "outbound")
    if caller.internal(extension) and callee.internal(extension):
        return result(None, "", "internal")
    return result(None, "", leg.direction)
