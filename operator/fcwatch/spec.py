"""A ``FunctionInstanceWatch`` spec, parsed and validated into a frozen dataclass. Pure: no I/O.

The CRD schema validates specs at ``kubectl apply`` already, but the operator may run against an
older CRD (or one edited by hand), so :func:`parse_spec` checks every field again and raises
:class:`InvalidSpec` with a message that names the field and is safe to show in status.

Names that end up in the FC URL (region and account id in the host; service, function and
qualifier in the path) are checked against strict patterns, so a spec can never steer a request
to another host or path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fcwatch.fc.model import Api

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "DEFAULT_INTERVAL_SECONDS",
    "DEFAULT_LIMIT",
    "DEFAULT_QUALIFIER",
    "DNS_SUBDOMAIN_PATTERN",
    "FUNCTION_NAME_PATTERN",
    "INSTANCE_ID_PATTERN",
    "MAX_INSTANCE_IDS",
    "MAX_LIMIT",
    "MIN_INTERVAL_SECONDS",
    "QUALIFIER_PATTERN",
    "REGION_PATTERN",
    "SERVICE_NAME_PATTERN",
    "CredentialsRef",
    "InvalidSpec",
    "WatchSpec",
    "parse_go_duration",
    "parse_go_duration_ns",
    "parse_spec",
]


class InvalidSpec(ValueError):
    """The spec cannot be used. The message names the field and is safe to show in status."""


@dataclass(frozen=True)
class CredentialsRef:
    """A Secret in the watch's own namespace (keys accessKeyId, accessKeySecret, securityToken)."""

    name: str


@dataclass(frozen=True)
class WatchSpec:
    api: Api
    region: str
    account_id: str
    function_name: str
    service_name: str | None  # required for fc2, None for fc3
    qualifier: str = "LATEST"
    internal: bool = False
    endpoint: str | None = None  # None when absent or ""; checked by fcwatch.endpoints
    instance_ids: tuple[str, ...] = ()  # deduplicated and sorted: order has no meaning
    limit: int = 100  # 0..100; 0 lets FC choose
    interval_seconds: float = 30.0
    suspend: bool = False
    credentials_ref: CredentialsRef | None = None


DEFAULT_QUALIFIER: Final = "LATEST"
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 100
DEFAULT_INTERVAL_SECONDS: Final = 30.0
MIN_INTERVAL_SECONDS: Final = 5.0
MAX_INSTANCE_IDS: Final = 100

# Patterns (Python ``re`` syntax, used with fullmatch): the same as the CRD's, keep them in step.
REGION_PATTERN: Final = r"[a-z]{2,}(-[a-z0-9]+)+"  # cn-hangzhou, ap-southeast-1
REGION_MAX_LENGTH: Final = 64
ACCOUNT_ID_PATTERN: Final = r"[0-9]{1,32}"  # Alibaba Cloud account ids are numeric
SERVICE_NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"
FUNCTION_NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"
QUALIFIER_PATTERN: Final = r"[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_-]{0,127}"  # version | alias, LATEST
INSTANCE_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}"
DNS_SUBDOMAIN_PATTERN: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
DNS_SUBDOMAIN_MAX_LENGTH: Final = 253

_SHOWN_VALUE_MAX: Final = 64


def _shown(value: object) -> str:
    """A spec value quoted for an error message, shortened so a message stays readable."""
    text = repr(value)
    if len(text) > _SHOWN_VALUE_MAX:
        text = text[: _SHOWN_VALUE_MAX - 3] + "..."
    return text


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer"}.get(
        type(value), type(value).__name__
    )


def _string(
    mapping: Mapping[str, Any], key: str, *, required: bool, parent: str = "spec"
) -> str | None:
    field = f"{parent}.{key}"
    value = mapping.get(key)
    if value is None or (value == "" and not required):
        if required:
            raise InvalidSpec(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise InvalidSpec(f"{field} must be a string, not {_type_name(value)}")
    if value == "":
        raise InvalidSpec(f"{field} must not be empty")
    return value


def _matching(field: str, value: str, pattern: str, max_length: int | None = None) -> str:
    if max_length is not None and len(value) > max_length:
        raise InvalidSpec(f"{field} must be at most {max_length} characters, got {len(value)}")
    if re.fullmatch(pattern, value) is None:
        raise InvalidSpec(f"{field} {_shown(value)} does not match the pattern {pattern}")
    return value


def _boolean(spec: Mapping[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidSpec(f"spec.{key} must be a boolean, not {_type_name(value)}")
    return value


def _api(spec: Mapping[str, Any]) -> Api:
    value = spec.get("api")
    if value is None or value == "fc2":
        return "fc2"
    if value == "fc3":
        return "fc3"
    raise InvalidSpec(f"spec.api must be 'fc2' or 'fc3', got {_shown(value)}")


def _limit(spec: Mapping[str, Any]) -> int:
    value = spec.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSpec(f"spec.limit must be an integer, not {_type_name(value)}")
    if not 0 <= value <= MAX_LIMIT:
        raise InvalidSpec(f"spec.limit must be between 0 and {MAX_LIMIT}, got {value}")
    return value


def _interval_seconds(spec: Mapping[str, Any]) -> float:
    value = spec.get("interval")
    if value is None:
        return DEFAULT_INTERVAL_SECONDS
    if not isinstance(value, str):
        raise InvalidSpec(
            f"spec.interval must be a Go duration string such as '30s' or '1m30s', "
            f"not {_type_name(value)}"
        )
    try:
        seconds = parse_go_duration(value)
    except InvalidSpec as exc:
        raise InvalidSpec(f"spec.interval: {exc}") from None
    if seconds < MIN_INTERVAL_SECONDS:
        raise InvalidSpec(f"spec.interval must be at least 5s, got {_shown(value)}")
    return seconds


def _instance_ids(spec: Mapping[str, Any]) -> tuple[str, ...]:
    value = spec.get("instanceIds")
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidSpec(f"spec.instanceIds must be an array of strings, not {_type_name(value)}")
    if len(value) > MAX_INSTANCE_IDS:
        raise InvalidSpec(
            f"spec.instanceIds may hold at most {MAX_INSTANCE_IDS} ids, got {len(value)}"
        )
    for index, item in enumerate(value):
        field = f"spec.instanceIds[{index}]"
        if not isinstance(item, str):
            raise InvalidSpec(f"{field} must be a string, not {_type_name(item)}")
        _matching(field, item, INSTANCE_ID_PATTERN)
    return tuple(sorted(set(value)))


def _credentials_ref(spec: Mapping[str, Any]) -> CredentialsRef | None:
    value = spec.get("credentialsRef")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidSpec(f"spec.credentialsRef must be an object, not {_type_name(value)}")
    if "namespace" in value:
        raise InvalidSpec(
            "spec.credentialsRef.namespace is not supported: the Secret must be in the "
            "watch's own namespace"
        )
    name = _string(value, "name", required=True, parent="spec.credentialsRef")
    assert name is not None
    _matching("spec.credentialsRef.name", name, DNS_SUBDOMAIN_PATTERN, DNS_SUBDOMAIN_MAX_LENGTH)
    return CredentialsRef(name=name)


def parse_spec(spec: Mapping[str, Any]) -> WatchSpec:
    """Validate a ``FunctionInstanceWatch`` ``.spec`` and return it as a :class:`WatchSpec`.

    Defaults and rules follow the CRD (api fc2, qualifier LATEST, limit 100, interval 30s;
    serviceName required for fc2 and refused for fc3; endpoint and internal exclusive), except
    that ``interval`` accepts all of Go's duration syntax. Unknown fields are ignored (the API
    server prunes them anyway). Raises :class:`InvalidSpec`.
    """
    if not isinstance(spec, Mapping):
        raise InvalidSpec(f"spec must be an object, not {_type_name(spec)}")
    api = _api(spec)

    region = _string(spec, "region", required=True)
    account_id = _string(spec, "accountId", required=True)
    function_name = _string(spec, "functionName", required=True)
    service_name = _string(spec, "serviceName", required=api == "fc2")
    if api == "fc3" and service_name is not None:
        raise InvalidSpec(
            "spec.serviceName must not be set when spec.api is fc3: FC 3.0 has no services "
            "(remove serviceName, or use api: fc2)"
        )
    qualifier = _string(spec, "qualifier", required=False) or DEFAULT_QUALIFIER
    assert region is not None and account_id is not None and function_name is not None

    _matching("spec.region", region, REGION_PATTERN, REGION_MAX_LENGTH)
    _matching("spec.accountId", account_id, ACCOUNT_ID_PATTERN)
    _matching("spec.functionName", function_name, FUNCTION_NAME_PATTERN)
    if service_name is not None:
        _matching("spec.serviceName", service_name, SERVICE_NAME_PATTERN)
    _matching("spec.qualifier", qualifier, QUALIFIER_PATTERN)

    internal = _boolean(spec, "internal", False)
    endpoint = _string(spec, "endpoint", required=False)
    if internal and endpoint is not None:
        raise InvalidSpec(
            "spec.internal: true has no effect together with spec.endpoint; set one or the other"
        )

    return WatchSpec(
        api=api,
        region=region,
        account_id=account_id,
        function_name=function_name,
        service_name=service_name,
        qualifier=qualifier,
        internal=internal,
        endpoint=endpoint,
        instance_ids=_instance_ids(spec),
        limit=_limit(spec),
        interval_seconds=_interval_seconds(spec),
        suspend=_boolean(spec, "suspend", False),
        credentials_ref=_credentials_ref(spec),
    )


# --- Go durations -------------------------------------------------------------------------------

_NANOSECONDS_PER_UNIT: Final[Mapping[str, int]] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX_NANOSECONDS: Final = 1 << 63  # magnitude bound; positive durations stop one below
_DIGITS: Final = frozenset("0123456789")


def _leading_int(text: str) -> tuple[int, str]:
    """Go's ``leadingInt``: the digits at the start of ``text`` and the rest. Overflow raises."""
    value = 0
    index = 0
    while index < len(text) and text[index] in _DIGITS:
        value = value * 10 + ord(text[index]) - ord("0")
        if value > _MAX_NANOSECONDS:
            raise OverflowError
        index += 1
    return value, text[index:]


def _leading_fraction(text: str) -> tuple[int, float, str]:
    """Go's ``leadingFraction``: digits after the point, their scale, and the rest.

    Digits beyond what fits in 63 bits are consumed but ignored, exactly as Go does.
    """
    value, scale, overflowed, index = 0, 1.0, False, 0
    while index < len(text) and text[index] in _DIGITS:
        if not overflowed:
            candidate = value * 10 + ord(text[index]) - ord("0")
            if value > (_MAX_NANOSECONDS - 1) // 10 or candidate > _MAX_NANOSECONDS:
                overflowed = True
            else:
                value, scale = candidate, scale * 10
        index += 1
    return value, scale, text[index:]


def parse_go_duration_ns(text: str) -> int:
    """Go's ``time.ParseDuration``, returning integer nanoseconds. Raises :class:`InvalidSpec`.

    Syntax: an optional sign, then one or more ``<decimal><unit>`` terms (``300ms``, ``1.5h``,
    ``2h45m``, ``-1m30s``), units ns, us (µs, μs), ms, s, m, h. A bare ``0`` is allowed; other
    numbers need a unit. Fractions are converted with Go's float64 arithmetic, so the results
    are Go's to the nanosecond; magnitudes beyond int64 nanoseconds (about 292 years) fail.
    """
    invalid = InvalidSpec(f"invalid duration {_shown(text)}")
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise invalid
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in _DIGITS:
            raise invalid
        before_int = len(rest)
        try:
            whole, rest = _leading_int(rest)
        except OverflowError:
            raise invalid from None
        has_int_digits = len(rest) != before_int
        fraction, scale, has_fraction_digits = 0, 1.0, False
        if rest.startswith("."):
            rest = rest[1:]
            before_fraction = len(rest)
            fraction, scale, rest = _leading_fraction(rest)
            has_fraction_digits = len(rest) != before_fraction
        if not has_int_digits and not has_fraction_digits:
            raise invalid  # ".s", "-.s"
        unit_end = 0
        while unit_end < len(rest) and rest[unit_end] != "." and rest[unit_end] not in _DIGITS:
            unit_end += 1
        if unit_end == 0:
            raise InvalidSpec(f"missing unit in duration {_shown(text)}")
        unit_name, rest = rest[:unit_end], rest[unit_end:]
        unit = _NANOSECONDS_PER_UNIT.get(unit_name)
        if unit is None:
            raise InvalidSpec(
                f"unknown unit {_shown(unit_name)} in duration {_shown(text)} "
                "(units: ns, us, µs, ms, s, m, h)"
            )
        if whole > _MAX_NANOSECONDS // unit:
            raise invalid
        term = whole * unit
        if fraction > 0:
            # Go: v += uint64(float64(f) * (float64(unit) / scale)); float64 rounding on purpose.
            term += int(float(fraction) * (float(unit) / scale))
            if term > _MAX_NANOSECONDS:
                raise invalid
        total += term
        if total > _MAX_NANOSECONDS:
            raise invalid
    if negative:
        return -total
    if total > _MAX_NANOSECONDS - 1:
        raise invalid
    return total


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` in seconds (see :func:`parse_go_duration_ns`)."""
    return parse_go_duration_ns(text) / 1e9
