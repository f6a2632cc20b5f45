"""Where a webhook may point: https (http only outside production), no user info, and, unless
``BUENDNIS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` says so, no host that resolves to a loopback,
private, link-local or otherwise non-public address (SSRF). Checked when an endpoint is saved
and again before every delivery, because DNS answers change; the delivery then connects to the
address that was checked (``pinned``), so a second lookup cannot swap it."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.core.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be used; the message says why (no personal data in it)."""


@dataclass(frozen=True)
class Target:
    url: str  # to connect to (the host replaced by the checked address when pinned)
    host_header: str  # the URL's own host[:port], for the Host header
    server_name: str  # the URL's host name, for TLS (SNI and the certificate check)
    pinned: bool


def parse(url: str, settings: Settings) -> SplitResult:
    """Check the URL's form (no DNS)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("is not a valid URL") from exc
    allowed = ("https",) if settings.env == "production" else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeUrl("must use https" if settings.env == "production"
                        else "must use http or https")
    if not parts.hostname:
        raise UnsafeUrl("has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("may not contain user name or password")
    if parts.fragment:
        raise UnsafeUrl("may not contain a fragment")
    if port == 0:
        raise UnsafeUrl("has no valid port")
    return parts


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not (address.is_multicast or address.is_reserved)


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl("host name does not resolve") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl("host name does not resolve")
    return addresses


def check(url: str, settings: Settings) -> Target:
    """Parse, resolve and check ``url``; raise UnsafeUrl when it may not be used."""
    parts = parse(url, settings)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if settings.webhook_allow_private_addresses:
        return Target(url=url, host_header=parts.netloc, server_name=host, pinned=False)
    if not all(is_public(address) for address in addresses):
        raise UnsafeUrl("resolves to a loopback, private, link-local or reserved address")
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return Target(url=parts._replace(netloc=netloc).geturl(), host_header=parts.netloc,
                  server_name=host, pinned=True)
