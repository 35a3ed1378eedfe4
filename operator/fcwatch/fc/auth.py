"""Request signing for Function Compute: the FC signature (FC 2.0) and ACS3-HMAC-SHA256 (FC 3.0).

Pure, typed functions build the string-to-sign / canonical request and the signature, byte for
byte as Alibaba's SDKs do (``aliyun-fc2``'s ``fc2/auth.py`` and ``alibabacloud_tea_openapi``'s
``Utils.get_authorization``; the golden-vector tests hold them to it). The simulator verifies with
the same functions. Two thin ``httpx.Auth`` classes apply them to outgoing requests.

Nothing here logs, and no exception raised here carries a secret.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import httpx

from fcwatch.fc.credentials import Credentials

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Clock = Callable[[], datetime]

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k), str(v)) for k, v in items]


def _first(headers: Sequence[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


# --- FC signature (FC 2.0) ---------------------------------------------------------------------


def fc_canonical_headers(headers: Headers) -> str:
    """The ``x-fc-*`` headers, lower-cased, sorted by name, as ``name:value\\n`` lines."""
    picked = [(k.lower(), v) for k, v in _pairs(headers) if k.lower().startswith("x-fc-")]
    picked.sort(key=lambda kv: kv[0])
    return "".join(f"{k}:{v}\n" for k, v in picked)


def fc_canonical_resource(
    unescaped_path: str, queries: Mapping[str, str | Sequence[str]] | None = None
) -> str:
    """The unescaped path; with ``queries`` (signed only by some FC APIs), sorted ``k=v`` lines."""
    if queries is None:
        return unescaped_path
    params: list[str] = []
    for key, values in queries.items():
        if isinstance(values, str):
            params.append(f"{key}={values}")
        elif values:
            params.extend(f"{key}={value}" for value in values)
        else:
            params.append(key)
    params.sort()
    return unescaped_path + "\n" + "\n".join(params)


def fc_string_to_sign(
    method: str,
    unescaped_path: str,
    headers: Headers,
    queries: Mapping[str, str | Sequence[str]] | None = None,
) -> str:
    """``METHOD\\ncontent-md5\\ncontent-type\\ndate\\n`` + x-fc headers + resource."""
    pairs = _pairs(headers)
    return "\n".join(
        [
            method.upper(),
            _first(pairs, "content-md5"),
            _first(pairs, "content-type"),
            _first(pairs, "date"),
            fc_canonical_headers(pairs) + fc_canonical_resource(unescaped_path, queries),
        ]
    )


def fc_signature(access_key_secret: str, string_to_sign: str) -> str:
    digest = hmac.new(
        access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def fc_authorization(access_key_id: str, access_key_secret: str, string_to_sign: str) -> str:
    return f"FC {access_key_id}:{fc_signature(access_key_secret, string_to_sign)}"


def parse_fc_authorization(value: str) -> tuple[str, str]:
    """``FC id:signature`` → (id, signature). ``ValueError`` if malformed."""
    scheme, _, rest = value.strip().partition(" ")
    key_id, sep, signature = rest.strip().rpartition(":")
    if scheme != "FC" or not sep or not key_id or not signature:
        raise ValueError("malformed FC Authorization header")
    return key_id, signature


def http_date(now: datetime) -> str:
    """RFC 1123 date in GMT, as the ``Date`` header of FC 2.0 requests."""
    return email.utils.format_datetime(now.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime:
    """Inverse of :func:`http_date`; ``ValueError`` if unparseable."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError("malformed HTTP date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- ACS3-HMAC-SHA256 (FC 3.0) -----------------------------------------------------------------


def acs3_encode(value: str) -> str:
    """RFC 3986 percent-encoding of a query value (only unreserved characters and ``~`` kept)."""
    return quote(value, safe="~", encoding="utf-8")


def acs3_canonical_query(query: Mapping[str, str | None]) -> str:
    """Sorted ``key=encoded-value`` joined by ``&``; keys as given, ``None`` values dropped."""
    keys = sorted(k for k, v in query.items() if v is not None)
    return "&".join(f"{key}={acs3_encode(query[key] or '')}" for key in keys)


def acs3_canonical_headers(headers: Headers) -> tuple[str, str]:
    """(canonical headers, signed header list) over every header given.

    Names are lower-cased and sorted; values stripped; repeated names joined by ``,`` after
    sorting their values.
    """
    grouped: dict[str, list[str]] = {}
    for key, value in _pairs(headers):
        grouped.setdefault(key.lower(), []).append(value.strip())
    names = sorted(grouped)
    canonical = "".join(f"{name}:{','.join(sorted(grouped[name]))}\n" for name in names)
    return canonical, ";".join(names)


def acs3_canonical_request(
    method: str,
    canonical_uri: str,
    query: Mapping[str, str | None],
    headers: Headers,
    payload_hash: str,
) -> str:
    canonical_headers, signed_headers = acs3_canonical_headers(headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri or "/",
            acs3_canonical_query(query),
            canonical_headers,
            signed_headers,
            payload_hash,
        ]
    )


def acs3_string_to_sign(canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ACS3_ALGORITHM}\n{digest}"


def acs3_signature(access_key_secret: str, string_to_sign: str) -> str:
    return hmac.new(
        access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def acs3_authorization(
    access_key_id: str, access_key_secret: str, signed_headers: str, canonical_request: str
) -> str:
    signature = acs3_signature(access_key_secret, acs3_string_to_sign(canonical_request))
    return (
        f"{ACS3_ALGORITHM} Credential={access_key_id},"
        f"SignedHeaders={signed_headers},Signature={signature}"
    )


@dataclass(frozen=True)
class ACS3Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_acs3_authorization(value: str) -> ACS3Authorization:
    """Parse an ``ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`` header."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ACS3_ALGORITHM:
        raise ValueError("unsupported Authorization scheme")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if not sep:
            raise ValueError("malformed ACS3 Authorization header")
        fields[name] = field_value
    try:
        key_id, signed, signature = (
            fields["Credential"],
            fields["SignedHeaders"],
            fields["Signature"],
        )
    except KeyError as exc:
        raise ValueError("incomplete ACS3 Authorization header") from exc
    if not key_id or not signed or not signature:
        raise ValueError("incomplete ACS3 Authorization header")
    return ACS3Authorization(key_id, tuple(signed.split(";")), signature)


def acs3_timestamp(now: datetime) -> str:
    """ISO 8601 UTC, second precision, as ``x-acs-date``."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_acs3_timestamp(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError("malformed x-acs-date") from exc


def split_raw_target(raw_target: str) -> tuple[str, dict[str, str]]:
    """A raw request target (``/path?query`` as on the wire) → (raw path, decoded query).

    The path stays percent-encoded (ACS3 signs it as sent); query values are decoded (they
    are re-encoded canonically). A repeated key keeps its last value.
    """
    path, _, raw_query = raw_target.partition("?")
    return path, dict(parse_qsl(raw_query, keep_blank_values=True))


# --- httpx.Auth --------------------------------------------------------------------------------


class FCAuth(httpx.Auth):
    """FC 2.0 signature: sets ``Date`` (and ``x-fc-security-token``) then ``Authorization``."""

    def __init__(self, credentials: Credentials, *, clock: Clock = utc_now) -> None:
        self._credentials = credentials
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        creds = self._credentials
        request.headers["date"] = http_date(self._clock())
        if creds.security_token:
            request.headers["x-fc-security-token"] = creds.security_token
        string_to_sign = fc_string_to_sign(
            request.method, request.url.path, request.headers.multi_items()
        )
        request.headers["authorization"] = fc_authorization(
            creds.access_key_id, creds.access_key_secret, string_to_sign
        )
        yield request


class ACS3Auth(httpx.Auth):
    """ACS3-HMAC-SHA256: sets ``x-acs-date``, nonce, payload hash, STS headers, then signs
    ``host``, ``content-type`` (if any) and every ``x-acs-*`` header."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Clock = utc_now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        creds = self._credentials
        body = request.read()
        payload_hash = hashlib.sha256(body).hexdigest()
        request.headers["x-acs-date"] = acs3_timestamp(self._clock())
        request.headers["x-acs-signature-nonce"] = self._nonce()
        request.headers["x-acs-content-sha256"] = payload_hash
        if creds.security_token:
            request.headers["x-acs-accesskey-id"] = creds.access_key_id
            request.headers["x-acs-security-token"] = creds.security_token
        signed = [
            (k, v)
            for k, v in request.headers.multi_items()
            if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
        ]
        path, query = split_raw_target(request.url.raw_path.decode("ascii"))
        canonical = acs3_canonical_request(request.method, path, query, signed, payload_hash)
        _, signed_names = acs3_canonical_headers(signed)
        request.headers["authorization"] = acs3_authorization(
            creds.access_key_id, creds.access_key_secret, signed_names, canonical
        )
        yield request
