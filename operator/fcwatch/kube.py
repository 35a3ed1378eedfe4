"""The few Kubernetes calls the operator makes itself (kopf makes the watches): read a Secret,
patch a watch's /status. Blocking kubernetes-client calls run in threads, never on the loop."""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from fcwatch.leader import LeaseConflict, LeaseRecord

GROUP, VERSION, PLURAL = "fcwatch.io", "v1alpha1", "functioninstancewatches"
REPORTING_INSTANCE = socket.gethostname()[:128]
logger = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """The apiserver refused or failed a Secret read (not a 404). Carries status and reason
    only: never the response body."""


class StatusWriteFailed(Exception):
    """A /status PATCH failed for a reason other than the object being gone."""


def load_api_client(kubeconfig: str | None = None) -> client.ApiClient:
    """In-cluster ServiceAccount when running in a pod, else the kubeconfig (KUBECONFIG)."""
    if kubeconfig is None:
        try:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
            return client.ApiClient()
        except config.ConfigException:
            pass
    api = config.new_client_from_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    return cast(client.ApiClient, api)


class KubeGateway:
    def __init__(self, api_client: client.ApiClient) -> None:
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)

    async def read_secret_data(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The Secret's base64 ``data`` (``{}`` if it has none), or None if it does not exist."""

        def read() -> Mapping[str, str] | None:
            try:
                secret = self._core.read_namespaced_secret(name, namespace)
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise SecretUnreadable(f"{exc.status} {exc.reason}") from None
            return {key: str(value) for key, value in (secret.data or {}).items()}

        return await asyncio.to_thread(read)

    async def patch_status(
        self, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Merge-patch /status; None when the object is gone."""

        def send() -> Mapping[str, Any] | None:
            try:
                result = self._custom.patch_namespaced_custom_object_status(
                    GROUP,
                    VERSION,
                    namespace,
                    PLURAL,
                    name,
                    {"status": dict(patch)},
                    _content_type="application/merge-patch+json",
                )
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise StatusWriteFailed(f"{exc.status} {exc.reason}") from None
            return cast(Mapping[str, Any], result)

        return await asyncio.to_thread(send)

    async def post_event(
        self, body: Mapping[str, Any], type_: str, reason: str, message: str
    ) -> None:
        """A core/v1 Event on the watch, as ``kubectl describe fiw`` and ``kubectl events`` show."""
        meta = body.get("metadata", {})
        now = datetime.datetime.now(datetime.UTC)
        event = client.CoreV1Event(
            metadata=client.V1ObjectMeta(
                generate_name=f"{meta.get('name', 'fiw')}.", namespace=meta.get("namespace")
            ),
            involved_object=client.V1ObjectReference(
                api_version=body.get("apiVersion", f"{GROUP}/{VERSION}"),
                kind=body.get("kind", "FunctionInstanceWatch"),
                name=meta.get("name"),
                namespace=meta.get("namespace"),
                uid=meta.get("uid"),
                resource_version=meta.get("resourceVersion"),
            ),
            type=type_,
            reason=reason,
            message=message[:1024],
            source=client.V1EventSource(component="fcwatch"),
            reporting_component="fcwatch.io/operator",
            reporting_instance=REPORTING_INSTANCE,
            first_timestamp=now,
            last_timestamp=now,
            count=1,
        )

        def send() -> None:
            self._core.create_namespaced_event(meta.get("namespace"), event)

        try:
            await asyncio.to_thread(send)
        except ApiException as exc:  # an event is best effort: never fail a poll for it
            logger.warning(
                "could not post event %s on %s: %s", reason, meta.get("name"), exc.reason
            )


class KubeLeaseStore:
    """The leader-election Lease, read and written with optimistic concurrency."""

    def __init__(self, api_client: client.ApiClient, namespace: str, name: str) -> None:
        self._api = client.CoordinationV1Api(api_client)
        self.namespace, self.name = namespace, name

    @staticmethod
    def _record(lease: client.V1Lease) -> LeaseRecord:
        spec = lease.spec or client.V1LeaseSpec()
        return LeaseRecord(
            holder=spec.holder_identity or None,
            acquired=spec.acquire_time,
            renewed=spec.renew_time,
            duration_seconds=spec.lease_duration_seconds or 15,
            transitions=spec.lease_transitions or 0,
            resource_version=lease.metadata.resource_version if lease.metadata else None,
        )

    async def read(self) -> LeaseRecord | None:
        def read() -> LeaseRecord | None:
            try:
                return self._record(self._api.read_namespaced_lease(self.name, self.namespace))
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise

        return await asyncio.to_thread(read)

    async def write(self, record: LeaseRecord) -> LeaseRecord:
        lease = client.V1Lease(
            metadata=client.V1ObjectMeta(
                name=self.name,
                namespace=self.namespace,
                resource_version=record.resource_version,
            ),
            spec=client.V1LeaseSpec(
                holder_identity=record.holder,
                acquire_time=record.acquired,
                renew_time=record.renewed,
                lease_duration_seconds=record.duration_seconds,
                lease_transitions=record.transitions,
            ),
        )

        def write() -> LeaseRecord:
            try:
                if record.resource_version is None:
                    written = self._api.create_namespaced_lease(self.namespace, lease)
                else:
                    written = self._api.replace_namespaced_lease(self.name, self.namespace, lease)
            except ApiException as exc:
                if exc.status == 409:
                    raise LeaseConflict(self.name) from None
                raise
            return self._record(written)

        return await asyncio.to_thread(write)
