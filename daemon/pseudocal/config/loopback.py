"""The one loopback rule: does a connection to a host stay on this machine?

The config's URL check (plain http:// only to a loopback host) and the remote's proxy rule
(never through a proxy to a loopback host) both ask it, so both read the same spellings.
"""
from __future__ import annotations

import ipaddress
import unicodedata
from pathlib import Path

HOSTS_FILE = Path("/etc/hosts")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})  # as IDNA reads them


def is_loopback(host: str | None, hosts_file: Path | None = None) -> bool:
    """Does a connection to `host` stay on this machine? The one rule for "never through a
    proxy" (`proxy_for`) and "plain http:// allowed" (the config's URL check).

    An IP literal counts in every spelling the resolver accepts, not only the usual one:
    127.0.0.0/8 also written as inet_aton reads it (`127.1`, `2130706433`, `0x7f000001`,
    `0177.0.0.1`), 0.0.0.0 and :: (which connect to this machine), ::1 and IPv4-mapped
    forms (`::ffff:127.0.0.1`). Fullwidth digits and dots count as IDNA reads them.

    A name counts only when it is `localhost`, or when the hosts file (`hosts_file`,
    /etc/hosts by default) maps it, and only to such addresses. Any other name
    (`localhost.localdomain`, `ip6-localhost`, `cal.localhost` on a machine whose hosts file
    lacks it) is resolved by DNS, and whatever DNS answers would receive plain http:// with
    the Basic credentials."""
    if not host:
        return False
    host = unicodedata.normalize("NFKC", host).translate(_DOTS)
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    address = _ip_address(host)
    if address is None:
        return _named_here(host, HOSTS_FILE if hosts_file is None else hosts_file)
    return _stays_here(address)


def _stays_here(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6:
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.is_loopback or address.is_unspecified:
            return True
    return address.is_loopback or address.is_unspecified


def _named_here(name: str, hosts_file: Path) -> bool:
    """Does the hosts file map `name`, and only to addresses that stay on this machine? An
    address it cannot read counts as one that does not; no file to read, as no mapping."""
    try:
        text = hosts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    mapped = False
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or name not in (f.rstrip(".").lower() for f in fields[1:]):
            continue
        address = _ip_address(fields[0].lower())
        if address is None or not _stays_here(address):
            return False
        mapped = True
    return mapped


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address: IPv6 (a zone such as %lo allowed), dotted IPv4, or the
    shorter forms the C resolver (inet_aton) also accepts: 1 to 4 parts, each decimal,
    octal (leading 0) or hex (0x), the last one filling the remaining bytes."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] if ":" in host else host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        try:
            if part[:2] in ("0x", "0X"):
                values.append(int(part[2:], 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part[1:], 8))
            else:
                values.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            return None
    *leading, last = values
    if any(not 0 <= v <= 255 for v in leading) or not 0 <= last < 256 ** (4 - len(leading)):
        return None
    number = last
    for place, value in enumerate(leading):
        number += value << (8 * (3 - place))
    return ipaddress.IPv4Address(number)


# ---------------------------------------------------------------- redirects
