"""URL safety: which URLs and which addresses the fetcher may reach (SSRF guard).

Checks URL syntax and every address actually connected to, through an aiohttp resolver, so a
name that re-resolves to a private address (DNS rebinding) is refused too. It fetches nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Literal
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.errors import ConfigError, UnsafeURLError

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
_ALLOW_ALL = frozenset({"1", "true", "yes", "on", "all", "*"})
_ALLOW_NONE = frozenset({"", "0", "false", "no", "off", "none"})


def _unmap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:10.0.0.1), else ``ip``.

    Python 3.11's ``ipaddress`` does not look inside mapped addresses
    (https://github.com/python/cpython/issues/113171), so we do.
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address ("a private address" ...), or None when it is."""
    ip = _unmap(ip)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        # e.g. 100.64.0.0/10 (carrier-grade NAT, RFC 6598): neither private nor global.
        return "a non-public address"
    return None


def parse_allow(setting: str | bool | None) -> Literal[True] | tuple[IPNetwork, ...]:
    """Read ``ALLOW_PRIVATE_SOURCES``: True (allow all), or the networks allowed (maybe none)."""
    if setting is None or setting is False:
        return ()
    if setting is True:
        return True
    text = setting.strip().lower()
    if text in _ALLOW_ALL:
        return True
    if text in _ALLOW_NONE:
        return ()
    networks: list[IPNetwork] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"ALLOW_PRIVATE_SOURCES: {part!r} is not an address or network"
            ) from None
    return tuple(networks)


class UrlGuard:
    """Decides which URLs and addresses may be fetched. Immutable once built.

    ``allow_private`` is the ``ALLOW_PRIVATE_SOURCES`` setting: "1"/"true" allows every address,
    a comma list ("127.0.0.1/32,::1") allows only those, empty allows none.
    """

    def __init__(self, allow_private: str | bool | None = None) -> None:
        allow = parse_allow(allow_private)
        self._allow_all = allow is True
        self._allowed: tuple[IPNetwork, ...] = () if allow is True else allow

    def __repr__(self) -> str:
        allowed = "all" if self._allow_all else ",".join(map(str, self._allowed)) or "none"
        return f"UrlGuard(allow_private={allowed!r})"

    def is_allowed(self, ip: IPAddress) -> bool:
        if self._allow_all or address_kind(ip) is None:
            return True
        candidates = {ip, _unmap(ip)}
        return any(
            c in net for c in candidates for net in self._allowed if c.version == net.version
        )

    def check_address(self, address: str, host: str | None = None) -> None:
        """Raise UnsafeURLError unless ``address`` (an IP literal) may be connected to."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise UnsafeURLError(f"refused: {address} is not an IP address") from None
        if self.is_allowed(ip):
            return
        kind = address_kind(ip)
        if host and host != address:
            raise UnsafeURLError(f"refused: {host} resolves to {address}, {kind}")
        raise UnsafeURLError(f"refused: {address} is {kind}")

    def check_url(self, url: str) -> str:
        """Check a URL's syntax (and its host, when it is an IP literal); return it stripped.

        Names are checked later, when the resolver returns their addresses.
        """
        url = url.strip()
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError on a bad port
        except ValueError:
            raise UnsafeURLError("refused: not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            shown = f"{scheme}:" if scheme else "no scheme"
            raise UnsafeURLError(f"refused: only http and https URLs can be fetched (got {shown})")
        if parts.username is not None or parts.password is not None:
            raise UnsafeURLError("refused: the URL contains credentials")
        host = parts.hostname
        if not host:
            raise UnsafeURLError("refused: the URL has no host")
        if port == 0:
            raise UnsafeURLError("refused: port 0")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return url  # a name: the resolver checks what it resolves to
        self.check_address(host)
        return url

    def resolver(self, inner: AbstractResolver | None = None) -> GuardedResolver:
        """An aiohttp resolver that drops the addresses this guard refuses.

        Must be called inside a running event loop (aiohttp's resolvers need one).
        """
        return GuardedResolver(self, inner if inner is not None else DefaultResolver())


class GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` and keeps only the addresses the guard allows.

    aiohttp connects only to what the resolver returns (IP-literal hosts skip the resolver, and
    ``UrlGuard.check_url`` covers them), so this is the check on the address actually used.
    """

    def __init__(self, guard: UrlGuard, inner: AbstractResolver) -> None:
        self._guard = guard
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept: list[ResolveResult] = []
        refused: UnsafeURLError | None = None
        for result in results:
            try:
                self._guard.check_address(result["host"].split("%", 1)[0], host)
            except UnsafeURLError as exc:
                refused = refused or exc
                log.info("guard dropped %s -> %s", host, result["host"])
                continue
            kept.append(result)
        if not kept and refused is not None:
            # Not an OSError, so aiohttp passes it through as it is rather than wrapping it.
            raise refused
        return kept

    async def close(self) -> None:
        await self._inner.close()
