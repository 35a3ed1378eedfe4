"""A real, local Kubernetes control plane: etcd + kube-apiserver as child processes.

Used by `fcwatch cluster`, `fcwatch demo` and the end-to-end tests. The binaries come from
envtest's conventional variables, or from ~/.cache/fcwatch/controlplane/<version>/, built there
once from Go modules by tests/controlplane/build.sh.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import yaml

from fcwatch.localcluster_pki import write_pki

K8S_VERSION = "v1.36.3"
BINARY_NAMES = ("kube-apiserver", "etcd")


class BinariesMissing(RuntimeError):
    """The control-plane binaries are absent and cannot be built here."""


class ClusterStartFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fcwatch"


def binaries_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return cache_root(environ) / "controlplane" / K8S_VERSION


def find_binaries(environ: Mapping[str, str] = os.environ) -> Binaries | None:
    """envtest's TEST_ASSET_* first, then KUBEBUILDER_ASSETS, then our build cache."""
    apiserver, etcd = environ.get("TEST_ASSET_KUBE_APISERVER"), environ.get("TEST_ASSET_ETCD")
    if apiserver and etcd:
        return Binaries(Path(apiserver), Path(etcd))
    for directory in (environ.get("KUBEBUILDER_ASSETS"), str(binaries_dir(environ))):
        if directory and all(os.access(Path(directory, n), os.X_OK) for n in BINARY_NAMES):
            return Binaries(Path(directory, "kube-apiserver"), Path(directory, "etcd"))
    return None


def build_script(environ: Mapping[str, str] = os.environ) -> Path | None:
    """tests/controlplane/build.sh of this checkout (or FCWATCH_CONTROLPLANE_SRC)."""
    source = environ.get("FCWATCH_CONTROLPLANE_SRC")
    root = Path(source) if source else Path(__file__).resolve().parents[2] / "tests/controlplane"
    script = root / "build.sh"
    return script if script.is_file() else None


HOW_TO_GET = (
    "build them with `make controlplane` (needs Go >= 1.26 and the Go module proxy), "
    "or point KUBEBUILDER_ASSETS (or TEST_ASSET_KUBE_APISERVER and TEST_ASSET_ETCD) "
    "at envtest binaries"
)


def ensure_binaries(*, build: bool, environ: Mapping[str, str] = os.environ) -> Binaries:
    found = find_binaries(environ)
    if found:
        return found
    if not build:
        raise BinariesMissing(f"kube-apiserver/etcd not found; {HOW_TO_GET}")
    script = build_script(environ)
    if script is None or shutil.which("go", path=environ.get("PATH")) is None:
        raise BinariesMissing(
            f"kube-apiserver/etcd not found and Go is not available; {HOW_TO_GET}"
        )
    subprocess.run([str(script), str(binaries_dir(environ))], check=True, env=dict(environ))
    found = find_binaries(environ)
    if not found:
        raise BinariesMissing(f"the build did not produce the binaries; {HOW_TO_GET}")
    return found


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when it can be bound on loopback, else any free port."""
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            return port
    raise ClusterStartFailed("no free loopback port")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "Metadata", "resources": [{"group": "fcwatch.io"}]},
        {"level": "None"},
    ],
}


@dataclass
class LocalCluster:
    """A running control plane. ``server`` is https://127.0.0.1:<port>."""

    workdir: str
    server: str
    kubeconfig: str
    etcd_pid: int
    apiserver_pid: int
    audit_log: str
    ca_cert: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> LocalCluster:
        return cls(**json.loads(text))

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_cert)
        context.load_cert_chain(
            str(Path(self.workdir, "pki/admin.crt")), str(Path(self.workdir, "pki/admin.key"))
        )
        return context

    def is_ready(self) -> bool:
        try:
            response = httpx.get(f"{self.server}/readyz", verify=self.ssl_context(), timeout=2)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def token_kubeconfig(self, token: str, path: Path, namespace: str = "default") -> Path:
        """A kubeconfig that authenticates with a bearer token (a ServiceAccount's)."""
        path.write_text(
            yaml.safe_dump(_kubeconfig(self.server, self.ca_cert, {"token": token}, namespace))
        )
        path.chmod(0o600)
        return path


def _kubeconfig(
    server: str, ca_cert: str, user: Mapping[str, str], namespace: str = "default"
) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "fcwatch-local",
                "cluster": {"server": server, "certificate-authority": ca_cert},
            }
        ],
        "users": [{"name": "user", "user": dict(user)}],
        "contexts": [
            {
                "name": "fcwatch-local",
                "context": {"cluster": "fcwatch-local", "user": "user", "namespace": namespace},
            }
        ],
        "current-context": "fcwatch-local",
    }


def _spawn(argv: list[str], log: Path, *, die_with_parent: bool) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if die_with_parent else None,
            start_new_session=not die_with_parent,
        )


def _wait(
    check: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClusterStartFailed(f"{what} exited with code {proc.returncode}")
        if check():
            return
        time.sleep(0.2)
    raise ClusterStartFailed(f"{what} not ready after {timeout:.0f}s")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(
    binaries: Binaries,
    *,
    workdir: Path | None = None,
    port: int | None = None,
    die_with_parent: bool = False,
    timeout: float = 90.0,
) -> LocalCluster:
    """Start etcd and kube-apiserver on free loopback ports and wait for /readyz."""
    work = Path(workdir or tempfile.mkdtemp(prefix="fcwatch-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    pki = write_pki(work / "pki")
    etcd_port, peer_port = free_port(), free_port()
    api_port = free_port(port)
    etcd_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
    etcd = _spawn(
        [
            str(binaries.etcd),
            "--name=default",
            f"--data-dir={work / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
        work / "etcd.log",
        die_with_parent=die_with_parent,
    )
    apiserver: subprocess.Popen[bytes] | None = None
    try:
        _wait(lambda: _port_open(etcd_port), etcd, "etcd", 30)
        policy = work / "audit-policy.yaml"
        policy.write_text(yaml.safe_dump(AUDIT_POLICY))
        apiserver = _spawn(
            [
                str(binaries.kube_apiserver),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={work / 'pki'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--authorization-mode=RBAC",
                f"--service-account-key-file={pki.sa_public_key}",
                f"--service-account-signing-key-file={pki.sa_private_key}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--feature-gates=ShardedListAndWatch=true",
                f"--audit-policy-file={policy}",
                f"--audit-log-path={work / 'audit.log'}",
                "--audit-log-mode=blocking",
                "--enable-priority-and-fairness=false",
                "--v=0",
            ],
            work / "kube-apiserver.log",
            die_with_parent=die_with_parent,
        )
        cluster = LocalCluster(
            workdir=str(work),
            server=f"https://127.0.0.1:{api_port}",
            kubeconfig=str(work / "kubeconfig"),
            etcd_pid=etcd.pid,
            apiserver_pid=apiserver.pid,
            audit_log=str(work / "audit.log"),
            ca_cert=str(pki.ca_cert),
        )
        admin = {"client-certificate": str(pki.admin_cert), "client-key": str(pki.admin_key)}
        Path(cluster.kubeconfig).write_text(
            yaml.safe_dump(_kubeconfig(cluster.server, cluster.ca_cert, admin))
        )
        Path(cluster.kubeconfig).chmod(0o600)
        _wait(cluster.is_ready, apiserver, "kube-apiserver", timeout)
        return cluster
    except BaseException:
        for proc in (apiserver, etcd):
            if proc is not None:
                _terminate(proc.pid)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _terminate(pid: int, grace: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)


def stop(cluster: LocalCluster, *, keep_data: bool = False) -> None:
    """Stop kube-apiserver, then etcd, then remove the working directory."""
    _terminate(cluster.apiserver_pid)
    _terminate(cluster.etcd_pid)
    if not keep_data:
        shutil.rmtree(cluster.workdir, ignore_errors=True)


def processes_alive(cluster: LocalCluster) -> list[int]:
    return [pid for pid in (cluster.apiserver_pid, cluster.etcd_pid) if _alive(pid)]


def state_file(environ: Mapping[str, str] = os.environ) -> Path:
    return cache_root(environ) / "cluster" / "state.json"
