"""UrlGuard: URL syntax, address classes, the allow setting, and the guarded resolver."""

from __future__ import annotations

import pytest
from feedserver import StaticResolver

from bot.errors import ConfigError, UnsafeURLError
from bot.sources.guard import GuardedResolver, UrlGuard


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "refused: only http and https URLs can be fetched (got file:)"),
        ("ftp://example.com/feed", "refused: only http and https URLs can be fetched (got ftp:)"),
        ("gopher://example.com/", "refused: only http and https URLs can be fetched (got gopher:)"),
        ("example.com/feed", "refused: only http and https URLs can be fetched (got no scheme)"),
        ("http://user:pw@example.com/feed", "refused: the URL contains credentials"),
        ("https://token@example.com/feed", "refused: the URL contains credentials"),
        ("http:///feed", "refused: the URL has no host"),
        ("http://example.com:99999/", "refused: not a valid URL"),
        ("http://10.0.0.1/", "refused: 10.0.0.1 is a private address"),
        ("http://192.168.1.10:8080/", "refused: 192.168.1.10 is a private address"),
        ("http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address",
        ),
        ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "refused: 240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/", "refused: 100.64.0.1 is a non-public address"),
        ("http://[::1]/", "refused: ::1 is a loopback address"),
        ("http://[::]/", "refused: :: is an unspecified address"),
        ("http://[fe80::1]/", "refused: fe80::1 is a link-local address"),
        ("http://[fd00::1]/", "refused: fd00::1 is a private address"),
        ("http://[ff02::1]/", "refused: ff02::1 is a multicast address"),
        ("http://[::ffff:10.0.0.1]/", "refused: ::ffff:10.0.0.1 is a private address"),
        ("http://[::ffff:127.0.0.1]/", "refused: ::ffff:127.0.0.1 is a loopback address"),
    ],
)
def test_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        UrlGuard().check_url(url)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "url",
    [
        "https://en.yna.co.kr/RSS/nk.xml",
        "  http://93.184.216.34/feed  ",
        "http://[2606:4700::1111]/feed",
        "HTTPS://Feeds.Example.com:8443/x?y=1",
    ],
)
def test_allowed(url: str) -> None:
    assert UrlGuard().check_url(url) == url.strip()


def test_allow_setting() -> None:
    only = UrlGuard("127.0.0.1/32, ::1")
    assert only.check_url("http://127.0.0.1:8080/") and only.check_url("http://[::1]/")
    assert only.check_url("http://[::ffff:127.0.0.1]/")  # the mapped form of an allowed address
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.2 is a loopback"):
        only.check_url("http://127.0.0.2/")
    with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.1 is a private"):
        only.check_url("http://10.0.0.1/")
    net = UrlGuard("10.0.0.0/8")
    assert net.check_url("http://10.1.2.3/")
    for everything in ("1", "true", "TRUE", True):
        assert UrlGuard(everything).check_url("http://10.0.0.1/")
        assert UrlGuard(everything).check_url("http://127.0.0.2/")
    for nothing in ("", "0", "false", None, False):
        with pytest.raises(UnsafeURLError):
            UrlGuard(nothing).check_url("http://127.0.0.1/")
    # Scheme and credential rules hold even when every address is allowed.
    with pytest.raises(UnsafeURLError, match="credentials"):
        UrlGuard("1").check_url("http://a:b@127.0.0.1/")
    with pytest.raises(ConfigError, match="'localhost' is not an address"):
        UrlGuard("127.0.0.1,localhost")


async def test_resolver_filters_addresses() -> None:
    table = {
        "public.test": ["93.184.216.34"],
        "mixed.test": ["10.0.0.5", "93.184.216.34"],
        "private.test": ["10.0.0.5", "192.168.0.1"],
        "mapped.test": ["::ffff:169.254.169.254"],
        "allowed.test": ["127.0.0.1"],
    }
    resolver = GuardedResolver(UrlGuard("127.0.0.1/32"), StaticResolver(table))
    assert [r["host"] for r in await resolver.resolve("public.test", 80)] == ["93.184.216.34"]
    # Only the public address is kept, so it is the only one aiohttp can connect to.
    assert [r["host"] for r in await resolver.resolve("mixed.test", 80)] == ["93.184.216.34"]
    assert [r["host"] for r in await resolver.resolve("allowed.test", 80)] == ["127.0.0.1"]
    with pytest.raises(
        UnsafeURLError, match=r"^refused: private.test resolves to 10.0.0.5, a private"
    ):
        await resolver.resolve("private.test", 80)
    with pytest.raises(UnsafeURLError, match="a link-local address"):
        await resolver.resolve("mapped.test", 80)
    with pytest.raises(OSError):
        await resolver.resolve("missing.test", 80)


async def test_system_resolver_localhost_is_refused() -> None:
    # localhost comes from /etc/hosts: no DNS traffic.
    resolver = UrlGuard().resolver()
    try:
        with pytest.raises(UnsafeURLError, match=r"^refused: localhost resolves to"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()
