"""Which FC endpoint a watch talks to, and the allowlist that guards ``spec.endpoint``. Pure.

Rules (a namespace user writes ``spec.endpoint``; the cluster admin writes the allowlist):

* No override: ``https://{accountId}.{region}[-internal].fc.aliyuncs.com``.
* An override must be ``scheme://host[:port]`` (a trailing ``/`` is tolerated) — no userinfo,
  path, query or fragment — and match ``https://*.fc.aliyuncs.com`` or a pattern of
  ``fcwatch run --allowed-endpoints``.
* Plain ``http`` only for loopback hosts (127.0.0.0/8, ::1, localhost), whatever the allowlist.
* An override needs ``spec.credentialsRef``: the operator's own credentials are never sent to a
  host a namespace user chose. :func:`resolve_endpoint` enforces this too.

Allowlist patterns: ``[scheme://]host[:port]``. ``scheme`` is ``http``, ``https`` or ``*`` (absent:
any); ``host`` is an fnmatch pattern (``*`` and ``?``; case-insensitive; IPv6 in brackets, or bare
when no port follows); ``port`` is an fnmatch pattern on the decimal port (absent: any port).
Examples: ``127.0.0.1``, ``http://127.0.0.1:*``, ``https://fc-proxy.corp.example:8443``,
``*.corp.example``.

URLs are checked with one strict regular expression rather than a general URL parser, so no
parser differential (``\\``, ``@``, ``#``, percent-escapes) can make the checked host differ from
the host an HTTP client connects to.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from fcwatch.fc.model import FCTarget, default_endpoint
from fcwatch.spec import WatchSpec

__all__ = [
    "ALWAYS_ALLOWED",
    "OWN_CREDENTIALS_REFUSED",
    "EndpointNotAllowed",
    "EndpointPolicy",
    "ResolvedEndpoint",
    "credentials_allowed",
    "resolve_endpoint",
    "target_for",
]

ALWAYS_ALLOWED: Final = "https://*.fc.aliyuncs.com"
OWN_CREDENTIALS_REFUSED: Final = (
    "spec.endpoint overrides the FC endpoint; an override requires spec.credentialsRef "
    "(the operator's own credentials are never sent to a user-chosen host)"
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_URL: Final = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?/?"
)
_HOST_LABEL: Final = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_HOST_PATTERN: Final = re.compile(r"[a-z0-9.*?-]+|[0-9a-f:.*?]+")
_PORT_PATTERN: Final = re.compile(r"[0-9*?]{1,5}")
_SHOWN_MAX: Final = 80


class EndpointNotAllowed(ValueError):
    """``spec.endpoint`` is malformed or not admitted. The message is safe to show in status."""


@dataclass(frozen=True)
class ResolvedEndpoint:
    url: str  # scheme://host[:port], normalised: lower case, default port dropped, no slash
    overridden: bool  # True when spec.endpoint chose a host other than the default endpoint


@dataclass(frozen=True)
class _URLParts:
    scheme: str
    host: str  # lower case; IPv6 without brackets, compressed
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


@dataclass(frozen=True)
class _Pattern:
    scheme: str | None  # None: any scheme
    host: str
    port: str | None  # None: any port

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and self.port is not None else self.host
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme or '*'}://{host}{port}"

    def matches(self, url: _URLParts) -> bool:
        return (
            (self.scheme is None or self.scheme == url.scheme)
            and fnmatch.fnmatchcase(url.host, self.host)
            and (self.port is None or fnmatch.fnmatchcase(str(url.port), self.port))
        )


def _split_host_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("unbalanced brackets")
        return host, rest[1:] if rest else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, port
    return text, None  # a bare IPv6 address (no port) or a host name


@functools.lru_cache(maxsize=256)
def _parse_pattern(text: str) -> _Pattern:
    problem = f"invalid endpoint pattern {text!r}: expected [scheme://]host[:port]"
    scheme: str | None = None
    rest = text.strip().lower()
    if "://" in rest:
        scheme_text, _, rest = rest.partition("://")
        if scheme_text not in ("http", "https", "*"):
            raise ValueError(f"{problem} with scheme http, https or *")
        scheme = None if scheme_text == "*" else scheme_text
    rest = rest.removesuffix("/")
    try:
        host, port = _split_host_port(rest)
    except ValueError:
        raise ValueError(problem) from None
    if not host or _HOST_PATTERN.fullmatch(host) is None:
        raise ValueError(f"{problem} (host patterns use letters, digits, '.', '-', '*', '?')")
    if port is not None and _PORT_PATTERN.fullmatch(port) is None:
        raise ValueError(f"{problem} (port patterns use digits, '*', '?')")
    if ":" in host and not any(c in host for c in "*?"):
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise ValueError(f"{problem}: {host!r} is not an IPv6 address") from None
    return _Pattern(scheme=scheme, host=host, port=port)


@dataclass(frozen=True)
class EndpointPolicy:
    """The operator's allowlist for ``spec.endpoint`` (``https://*.fc.aliyuncs.com`` is implied)."""

    allowed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for pattern in self.allowed:
            _parse_pattern(pattern)  # raises ValueError for a bad pattern

    @classmethod
    def parse(cls, values: Iterable[str]) -> EndpointPolicy:
        """From ``--allowed-endpoints`` values; each may hold comma-separated patterns.

        Raises ValueError naming a malformed pattern. Patterns are stored normalised.
        """
        patterns: list[str] = []
        for value in values:
            for item in value.split(","):
                if item.strip():
                    normalised = str(_parse_pattern(item))
                    if normalised not in patterns:
                        patterns.append(normalised)
        return cls(allowed=tuple(patterns))

    def admits(self, url: str) -> bool:
        """Whether a well-formed endpoint URL matches the built-in or a configured pattern."""
        parts = _parse_url(url)
        return any(_parse_pattern(p).matches(parts) for p in (ALWAYS_ALLOWED, *self.allowed))


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "...")


def _diagnose(text: str) -> str:
    """Why ``text`` is not ``scheme://host[:port]``, in words for the user."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return "is not a URL"
    if not parts.scheme or "://" not in text:
        return "must start with https:// (or http:// for a loopback host)"
    if "@" in parts.netloc:
        return "must not contain credentials (user@host)"
    if parts.query or text.rstrip().endswith("?"):
        return "must not have a query"
    if parts.fragment or "#" in text:
        return "must not have a fragment"
    if parts.path not in ("", "/"):
        return "must not have a path (the FC API paths are fixed)"
    return "is not of the form scheme://host[:port]"


def _host(text: str) -> str:
    if text.startswith("["):
        return ipaddress.IPv6Address(text[1:-1]).compressed
    host = text.lower()
    if re.fullmatch(r"[0-9.]+", host):
        return str(ipaddress.IPv4Address(host))
    labels = host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(host)
    if not labels[-1][0].isalpha():
        # "0x7f000001", "127.1": resolvers may read these as IPv4 numbers; no TLD looks so.
        raise ValueError(host)
    return host


def _parse_url(text: str) -> _URLParts:
    """``scheme://host[:port]`` or raise EndpointNotAllowed saying what is wrong."""
    match = _URL.fullmatch(text)
    if match is None:
        raise EndpointNotAllowed(f"spec.endpoint {_shown(text)} {_diagnose(text)}")
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        raise EndpointNotAllowed(f"spec.endpoint {_shown(text)} must use https or http")
    try:
        host = _host(match["host"])
    except ValueError:
        raise EndpointNotAllowed(f"spec.endpoint {_shown(text)} has an invalid host") from None
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise EndpointNotAllowed(f"spec.endpoint {_shown(text)} has an invalid port")
    return _URLParts(scheme=scheme, host=host, port=port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def resolve_endpoint(spec: WatchSpec, policy: EndpointPolicy) -> ResolvedEndpoint:
    """The endpoint to call for ``spec``, or EndpointNotAllowed with a message for status.

    Raises for a malformed override, an override the policy does not admit, plain http to a
    non-loopback host, and an override without ``spec.credentialsRef``.
    """
    default = default_endpoint(spec.account_id, spec.region, internal=spec.internal)
    if spec.endpoint is None:
        return ResolvedEndpoint(url=default, overridden=False)
    parts = _parse_url(spec.endpoint)
    if parts.url == _parse_url(default).url:
        return ResolvedEndpoint(url=parts.url, overridden=False)
    if parts.scheme == "http" and not _is_loopback(parts.host):
        raise EndpointNotAllowed(
            f"spec.endpoint {_shown(spec.endpoint)}: plain http is allowed only for loopback "
            "hosts (127.0.0.0/8, ::1, localhost); use https"
        )
    if not any(_parse_pattern(p).matches(parts) for p in (ALWAYS_ALLOWED, *policy.allowed)):
        raise EndpointNotAllowed(
            f"spec.endpoint {_shown(spec.endpoint)} is not admitted by the operator's "
            f"--allowed-endpoints (always admitted: {ALWAYS_ALLOWED})"
        )
    resolved = ResolvedEndpoint(url=parts.url, overridden=True)
    if not credentials_allowed(spec, resolved):
        raise EndpointNotAllowed(OWN_CREDENTIALS_REFUSED)
    return resolved


def credentials_allowed(spec: WatchSpec, resolved: ResolvedEndpoint) -> bool:
    """False when the operator's own credentials would go to a user-chosen endpoint.

    An overridden endpoint may only be called with the watch's own Secret (credentialsRef).
    :func:`resolve_endpoint` already refuses such specs; call this again where credentials are
    chosen, as a second lock. The reason to show is :data:`OWN_CREDENTIALS_REFUSED`.
    """
    return not resolved.overridden or spec.credentials_ref is not None


def target_for(spec: WatchSpec, resolved: ResolvedEndpoint) -> FCTarget:
    """The ListInstances target of a watch (fc3 has no services: service_name is dropped)."""
    return FCTarget(
        api=spec.api,
        endpoint=resolved.url,
        function_name=spec.function_name,
        qualifier=spec.qualifier,
        service_name=spec.service_name if spec.api == "fc2" else None,
        instance_ids=spec.instance_ids,
        limit=spec.limit,
    )
