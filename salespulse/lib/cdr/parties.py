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


def leg_peers(leg: Leg) -> tuple[str, bool, str, bool]:
    """The leg's caller and callee peers (see `channel_peer`), parsed once per leg."""
    peers = leg.peers
    if peers is None:
        peers = leg.peers = (*channel_peer(leg.channel), *channel_peer(leg.dstchannel))
    return peers


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
        self._context_cache: dict[str, bool] = {}  # a PBX has a few dozen contexts

    def listed(self, peer: str) -> bool:
        return self._trunks is not None and self._trunks.fullmatch(peer.casefold()) is not None

    def trunk(self, peer: str) -> bool:
        return bool(peer) and (peer in self.learned or self.listed(peer))

    def outside_context(self, context: str) -> bool:
        known = self._context_cache.get(context)
        if known is None:
            known = self._context_cache[context] = (
                bool(context)
                and self._contexts is not None
                and self._contexts.fullmatch(context.casefold()) is not None
            )
        return known

    def learn(self, leg: Leg, lookup: Lookup) -> None:
        """Remember the peers this leg shows to be trunks (none that is a seller's)."""
        caller_outside = outside_number(leg.src)
        callee_outside = outside_number(leg.dst)
        if not (caller_outside or callee_outside or self.outside_context(leg.dcontext)):
            return  # nothing here can show a trunk
        caller, caller_local, callee, callee_local = leg_peers(leg)
        caller = "" if caller_local else caller
        callee = "" if callee_local else callee
        learned = self.learned
        # Calls coming in: through an outside context, or an outside caller ID dialling
        # a number of ours (not one going on out: that is a forwarded call).
        if caller and caller not in learned and lookup(caller) is None:
            if self.outside_context(leg.dcontext) or (caller_outside and not callee_outside):
                learned.add(caller)
        # Calls going out: an outside number dialled from a phone of ours.
        if callee and callee_outside and callee not in learned and lookup(callee) is None:
            # (A seller's phone, or an extension's number as the caller ID: a peer that
            # merely looks like one may be the trunk an anonymous call came in on.)
            ours = (bool(caller) and lookup(caller) is not None) or (
                bool(leg.src) and self.extension.fullmatch(leg.src) is not None
            )
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


def _internal(
    peer: str,
    local: bool,
    number: str,
    trunk: bool,
    employee: int | None,
    extension: re.Pattern[str],
) -> bool:
    """A side is a phone of ours: a seller's (not through a Local hop) or an extension's."""
    if trunk:
        return False
    if employee is not None and not local:
        return True
    key = number if (local or not peer) else peer
    return bool(key) and extension.fullmatch(key) is not None and not outside_number(key)


def _agent_key(peer: str, local: bool, number: str, trunk: bool, extension: re.Pattern[str]) -> str:
    """An extension-looking key of nobody's on a side, to list for the admin ("": none)."""
    if trunk:
        return ""
    for key in (peer, number) if not local else (peer,):
        if key and extension.fullmatch(key) and not outside_number(key):
            return key
    return ""


def attribute(leg: Leg, lookup: Lookup, outside: Outside | re.Pattern[str]) -> Attribution:
    """Who of our sellers is on this leg, and which way the call went for them.

    A seller on the caller side made the call (outbound), on the callee side took it
    (inbound); when the other side is a phone of ours it is internal. A Local channel is
    a dialplan hop: it names the seller it leads to but says nothing about where the call
    came from. A trunk side is found by its number only (a seller's mobile coming in
    over a trunk), never by its peer. Nobody's legs get the direction an unmapped agent
    on them would have, so mapping the agent later keeps it. Feature codes and voicemail
    are "service": no call of anyone's.
    """
    if not isinstance(outside, Outside):
        outside = Outside(extension=outside)
    extension = outside.extension
    service = service_leg(leg)
    caller_peer, caller_local, callee_peer, callee_local = leg_peers(leg)

    if leg.agent:
        employee, key = _resolve(lookup, leg.agent)
        direction = leg.direction
        if not direction and leg.agent in (leg.src, caller_peer):
            direction = "outbound"
        elif not direction and leg.agent in (leg.dst, callee_peer):
            direction = "inbound"
        return Attribution(employee, key or leg.agent, SERVICE if service else direction)

    src, dst = leg.src, leg.dst
    caller_trunk = not caller_local and (
        outside.trunk(caller_peer) or outside.outside_context(leg.dcontext)
    )
    callee_trunk = not callee_local and outside.trunk(callee_peer)
    if caller_trunk:
        caller, caller_key = _resolve(lookup, src)
    else:
        caller, caller_key = _resolve(lookup, caller_peer, src)
    if callee_trunk:
        callee, callee_key = _resolve(lookup, dst)
    else:
        callee, callee_key = _resolve(lookup, callee_peer, dst)

    if caller is not None and callee in (None, caller):
        if callee == caller and caller_local:
            # Local/101@…;2 -> SIP/101: the hop into the seller's phone, an incoming leg.
            other = _internal("", True, src, False, None, extension)
            direction = "internal" if other else "inbound"
            return Attribution(callee, callee_key, SERVICE if service else direction)
        if leg.direction:
            direction = leg.direction
        elif _internal(callee_peer, callee_local, dst, callee_trunk, callee, extension):
            direction = "internal"
        else:
            direction = "outbound"
        return Attribution(caller, caller_key, SERVICE if service else direction)
    if callee is not None and caller is None:
        if leg.direction:
            direction = leg.direction
        elif _internal(caller_peer, caller_local, src, caller_trunk, None, extension):
            direction = "internal"
        else:
            direction = "inbound"
        return Attribution(callee, callee_key, SERVICE if service else direction)
    if caller is not None and callee is not None:
        # Two different sellers: a call between colleagues, counted for the one who called.
        return Attribution(caller, caller_key, SERVICE if service else "internal")
    # Nobody we know: list the side that looks like a person's extension, if any.
    caller_ours = _internal(caller_peer, caller_local, src, caller_trunk, None, extension)
    callee_ours = _internal(callee_peer, callee_local, dst, callee_trunk, None, extension)
    direction = leg.direction
    key = _agent_key(callee_peer, callee_local, dst, callee_trunk, extension)
    if key:
        direction = "internal" if caller_ours else "inbound"
    else:
        key = _agent_key(caller_peer, caller_local, src, caller_trunk, extension)
        if key:
            direction = "internal" if callee_ours else "outbound"
        elif caller_ours and callee_ours:
            direction = "internal"
    return Attribution(None, key, SERVICE if service else direction)
