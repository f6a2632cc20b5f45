"""Where a webhook may point, decided without the network: host names are resolved through a
stand-in for getaddrinfo. Every address a name resolves to must be public, and delivery then
connects to the checked address (so a second DNS answer cannot swap it)."""

import socket

import pytest

from app.core.config import Settings
from app.webhooks import urls


def resolving(monkeypatch, *addresses: str) -> None:
    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(urls.socket, "getaddrinfo", fake)


def test_a_public_name_is_pinned_to_its_checked_address(monkeypatch):
    resolving(monkeypatch, "93.184.215.14")
    target = urls.check("https://partner.example.org:8443/hooks?x=1", Settings(env="test"))
    assert target.pinned
    assert target.url == "https://93.184.215.14:8443/hooks?x=1"
    assert (target.host_header, target.server_name) == ("partner.example.org:8443",
                                                        "partner.example.org")


def test_ipv6_addresses_are_bracketed(monkeypatch):
    resolving(monkeypatch, "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    target = urls.check("https://partner.example.org/hooks", Settings(env="test"))
    assert target.url == "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hooks"


@pytest.mark.parametrize("addresses", [
    ("93.184.215.14", "10.0.0.5"),  # one private answer among public ones is enough to refuse
    ("127.0.0.1",), ("169.254.169.254",), ("fd00::1",), ("fe80::1",), ("100.64.0.1",),
    ("::ffff:10.0.0.1",), ("224.0.0.1",),
])
def test_a_name_resolving_to_any_inside_address_is_refused(monkeypatch, addresses):
    resolving(monkeypatch, *addresses)
    with pytest.raises(urls.UnsafeUrl, match="loopback, private"):
        urls.check("https://partner.example.org/hooks", Settings(env="test"))


def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(urls.socket, "getaddrinfo", fail)
    with pytest.raises(urls.UnsafeUrl, match="does not resolve"):
        urls.check("https://nowhere.invalid/hooks", Settings(env="test"))


def test_production_takes_https_only_and_the_setting_lifts_the_address_check():
    with pytest.raises(urls.UnsafeUrl, match="https"):
        urls.parse("http://93.184.215.14/x", Settings(env="test").model_copy(
            update={"env": "production"}))
    allowed = Settings(env="test", webhook_allow_private_addresses=True)
    target = urls.check("http://127.0.0.1:8080/x", allowed)
    assert not target.pinned and target.url == "http://127.0.0.1:8080/x"
