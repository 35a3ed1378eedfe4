from __future__ import annotations

from fcwatch.refresh import (
    FCWATCH_REFRESH,
    FLUX_REQUESTED_AT,
    RefreshTokens,
    initial_tokens,
    pending_refresh,
)


def test_no_annotations_no_request() -> None:
    assert pending_refresh(RefreshTokens(), None) is None
    assert pending_refresh(RefreshTokens(), {"other": "x"}) is None


def test_new_flux_value_is_a_request_echoed_verbatim() -> None:
    request = pending_refresh(RefreshTokens(), {FLUX_REQUESTED_AT: "2026-12-04T10:00:00Z"})
    assert request is not None
    assert request.echo == "2026-12-04T10:00:00Z"
    assert pending_refresh(request.tokens, {FLUX_REQUESTED_AT: "2026-12-04T10:00:00Z"}) is None
    again = pending_refresh(request.tokens, {FLUX_REQUESTED_AT: "2026-12-04T10:05:00Z"})
    assert again is not None and again.echo == "2026-12-04T10:05:00Z"


def test_own_annotation_is_a_request_too_and_removal_is_not() -> None:
    handled = RefreshTokens(refresh="1")
    request = pending_refresh(handled, {FCWATCH_REFRESH: "2"})
    assert request is not None and request.echo == "2"
    assert pending_refresh(request.tokens, {}) is None


def test_both_changed_prefers_flux_and_handles_both() -> None:
    annotations = {FLUX_REQUESTED_AT: "a", FCWATCH_REFRESH: "b"}
    request = pending_refresh(RefreshTokens(), annotations)
    assert request is not None and request.echo == "a"
    assert pending_refresh(request.tokens, annotations) is None


def test_initial_tokens_after_restart() -> None:
    annotations = {FLUX_REQUESTED_AT: "t1", FCWATCH_REFRESH: "r"}
    handled = initial_tokens(annotations, last_handled_reconcile_at="t1")
    assert pending_refresh(handled, annotations) is None
    unhandled = initial_tokens(annotations, last_handled_reconcile_at="t0")
    request = pending_refresh(unhandled, annotations)
    assert request is not None and request.echo == "t1"
