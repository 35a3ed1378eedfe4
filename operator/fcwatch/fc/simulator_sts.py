"""The simulator's STS: ``AssumeRoleWithOIDC`` (unsigned, as RRSA calls it).

Accepts any non-empty OIDC token (the simulator verifies signatures of FC calls, not JWTs).
With ``sts.roles`` configured, the role ARN must be one of them (and its ``oidcProviderArn``, if
set, must match); without, any role is accepted for the first account. The issued temporary key
is added to that account and expires after ``DurationSeconds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fcwatch.fc.simulator_protocol import Failure, sts_error_body
from fcwatch.fc.simulator_state import SimulatorState

MIN_DURATION = 900
MAX_DURATION = 43200
REQUIRED = ("RoleArn", "OIDCProviderArn", "OIDCToken")


def assume_role_with_oidc(
    state: SimulatorState, params: Mapping[str, str], request_id: str
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of an STS call with these (merged query and form) parameters."""
    result = _assume(state, params, request_id)
    if isinstance(result, Failure):
        return result.status, sts_error_body(result, request_id)
    return 200, result


def _assume(
    state: SimulatorState, params: Mapping[str, str], request_id: str
) -> dict[str, Any] | Failure:
    action = params.get("Action")
    if action != "AssumeRoleWithOIDC":
        return Failure(400, "InvalidAction.NotFound", f"unsupported action {action!r}")
    for name in REQUIRED:
        if not params.get(name):
            return Failure(400, f"MissingParameter.{name}", f"{name} is mandatory")
    duration_text = params.get("DurationSeconds") or "3600"
    if (
        not (duration_text.isascii() and duration_text.isdigit())
        or not MIN_DURATION <= int(duration_text) <= MAX_DURATION
    ):
        return Failure(
            400,
            "InvalidParameter.DurationSeconds",
            f"DurationSeconds must be between {MIN_DURATION} and {MAX_DURATION}",
        )
    role_arn = params["RoleArn"]
    account_id = state.accounts[0].account_id
    if state.config.roles:
        role = next((r for r in state.config.roles if r.role_arn == role_arn), None)
        if role is None:
            return Failure(404, "EntityNotExist.Role", f"the role {role_arn!r} does not exist")
        if role.oidc_provider_arn and role.oidc_provider_arn != params["OIDCProviderArn"]:
            return Failure(
                400, "AuthenticationFail.OIDCProvider.NotMatch", "the OIDC provider does not match"
            )
        account_id = role.account_id
    key = state.issue_sts_key(account_id, int(duration_text))
    session = params.get("RoleSessionName") or "session"
    expires = datetime.fromtimestamp(key.expires_at or state.now(), UTC)
    return {
        "RequestId": request_id,
        "AssumedRoleUser": {"Arn": f"{role_arn}/{session}", "AssumedRoleId": f"300:{session}"},
        "Credentials": {
            "AccessKeyId": key.access_key_id,
            "AccessKeySecret": key.access_key_secret,
            "SecurityToken": key.security_token,
            "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
