"""A ListInstances target → the HTTP request to send (method, URL, query, headers). Pure.

fc2: ``GET /2016-08-15/services/{service}.{qualifier}/functions/{function}/instances``
     with ``limit`` and repeated ``instanceIds``; FC signature (query not signed).
fc3: ``GET /2023-03-30/functions/{function}/instances`` with ``qualifier``, ``limit`` and
     ``instanceIds`` as a JSON-array string; ACS3-HMAC-SHA256.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fcwatch import __version__
from fcwatch.fc.model import FC2_API_VERSION, FC3_API_VERSION, FCError, FCTarget

USER_AGENT = f"fcwatch/{__version__}"
MAX_LIMIT = 100


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    url: str  # endpoint + percent-encoded path, no query
    params: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]


def path_segment(name: str) -> str:
    """Percent-encode one path segment as Alibaba's SDKs do (RFC 3986 unreserved kept)."""
    return quote(name, safe="~")


def _invalid(message: str) -> FCError:
    return FCError(kind="invalid", message=message, retryable=False)


def validate_endpoint(endpoint: str) -> str:
    """``scheme://host[:port]`` with scheme http or https; returns it without trailing slash."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _invalid("endpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("endpoint must be http(s)://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise _invalid("endpoint must be http(s)://host[:port], without path or query")
    return f"{parts.scheme}://{parts.netloc}"


def build_request(target: FCTarget) -> PreparedRequest:
    """Validate ``target`` and build its request; ``FCError(kind="invalid")`` if impossible."""
    endpoint = validate_endpoint(target.endpoint)
    if not target.function_name:
        raise _invalid("function name is empty")
    if not target.qualifier:
        raise _invalid("qualifier is empty")
    if not 0 <= target.limit <= MAX_LIMIT:
        raise _invalid(f"limit must be between 0 and {MAX_LIMIT}")
    if any(not instance_id for instance_id in target.instance_ids):
        raise _invalid("instance ids must not be empty")
    function = path_segment(target.function_name)
    if target.api == "fc2":
        if not target.service_name:
            raise _invalid("fc2 needs a service name")
        service = path_segment(f"{target.service_name}.{target.qualifier}")
        path = f"/{FC2_API_VERSION}/services/{service}/functions/{function}/instances"
        params = [("limit", str(target.limit))]
        params.extend(("instanceIds", instance_id) for instance_id in target.instance_ids)
        headers = [
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("user-agent", USER_AGENT),
        ]
    elif target.api == "fc3":
        path = f"/{FC3_API_VERSION}/functions/{function}/instances"
        params = [("qualifier", target.qualifier), ("limit", str(target.limit))]
        if target.instance_ids:
            ids = json.dumps(list(target.instance_ids), ensure_ascii=False, separators=(",", ":"))
            params.append(("instanceIds", ids))
        headers = [
            ("accept", "application/json"),
            ("user-agent", USER_AGENT),
            ("x-acs-action", "ListInstances"),
            ("x-acs-version", FC3_API_VERSION),
        ]
    else:
        raise _invalid(f"unknown api {target.api!r}")
    return PreparedRequest("GET", endpoint + path, tuple(params), tuple(headers))
