"""Starting and watching the real `tritonserver` binary from the PyPI wheel nvidia-pytriton.

See ../shared/recipes/triton-cpu.md: the python backend needs its stub copied beside it (the one for
the running Python), the wheel's bundled libraries and this Python's libpython on LD_LIBRARY_PATH
(else the server hangs at model load), and this environment's bin first on PATH (the stub finds
torch and stylefuse through `python3`). Readiness is awaited with a deadline and a failure shows
the log's tail. Models are loaded in explicit model-control mode so a model whose backend stub died
can be unloaded and loaded again (`heal`); the health probe is a tiny real inference, because the
server keeps reporting such a model ready.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

from stylefuse.errors import UserError

from .health import Health, probe_inputs  # noqa: F401  (probe_inputs: re-exported)
from .health import get as _get
from .health import post as _post
from .procs import (  # noqa: F401  (re-exported: tests and the benchmark use them from here)
    SHM_PREFIX,
    STUB_ENV_VAR,
    _children,
    _is_stub,
    _mapped_shm,
    exposure_warning,
    is_loopback,
    pytriton_dir,
    stub_bin,
)


class TritonServer(Health):
    """One tritonserver process on a model repository; a context manager (stops on exit).

    `first`: the models loaded before the server counts as ready (default: all of `models`); the others
    are loaded afterwards by `load_rest()` (in parallel, in the background), so a restarted server
    answers for these within seconds instead of after every model's backend has started.
    """

    def __init__(
        self,
        repo,
        host: str = "127.0.0.1",
        http_port: int = 8000,
        grpc_port: int = 8001,
        metrics_port: int = 8002,
        models: list[str] | None = None,
        log_path=None,
        extra_args: tuple[str, ...] = (),
        first: list[str] | None = None,
    ):
        self.repo = Path(repo).resolve()
        self.host, self.http_port, self.grpc_port, self.metrics_port = (
            host,
            http_port,
            grpc_port,
            metrics_port,
        )
        self.models = list(models or sorted(p.parent.name for p in self.repo.glob("*/config.pbtxt")))
        self.first = [m for m in self.models if m in first] if first else list(self.models)
        self.loaded: set[str] = set()  # models known to be loaded (the health probe looks at these only)
        self.busy: dict[str, int] = {}
        self._loader: threading.Thread | None = None
        self.extra_args = tuple(extra_args)
        self.work = Path(tempfile.mkdtemp(prefix="stylefuse-triton-"))
        self.log_path = Path(log_path) if log_path else self.work / "tritonserver.log"
        self.process: subprocess.Popen | None = None
        self.shm: set[str] = set()
        self.stubs: set[int] = set()  # backend stub PIDs seen while the server ran (orphans if it dies)
        self._log = None

    # ------------------------------------------------------------------ addresses
    @property
    def http_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{host}:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.metrics_port}"

    # ------------------------------------------------------------------ start / stop
    def command(self) -> tuple[list[str], dict]:
        ts = pytriton_dir()
        backends = self.work / "backends"
        if not (backends / "python").is_dir():
            shutil.copytree(ts / "backends" / "python", backends / "python")
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            stub = ts / "python_backend_stubs" / version / "triton_python_backend_stub"
            if not stub.is_file():
                raise UserError(f"nvidia-pytriton has no python backend stub for Python {version}")
            shutil.copy2(stub, backends / "python" / stub.name)
        env = dict(os.environ)
        libs = [sysconfig.get_config_var("LIBDIR") or "", str(ts.parent.parent / "nvidia_pytriton.libs")]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [p for p in libs if p] + [env.get("LD_LIBRARY_PATH", "")]
        ).rstrip(os.pathsep)
        env["PATH"] = os.pathsep.join(
            [str(stub_bin()), str(Path(sys.executable).parent), env.get("PATH", "")]
        )
        cmd = [
            str(ts / "bin" / "tritonserver"),
            f"--model-repository={self.repo}",
            f"--backend-directory={backends}",
            f"--cache-directory={ts / 'caches'}",
            "--exit-timeout-secs=5",
            # Our config.pbtxt files are complete. Auto-completion would make the python backend start
            # one more stub per model (importing torch) before any instance, in series with them.
            "--disable-auto-complete-config",
            "--model-control-mode=explicit",
            # strict readiness would say "not ready" while the rest load in the background
            f"--strict-readiness={'true' if self.first == self.models else 'false'}",
            f"--http-address={self.host}",
            f"--grpc-address={self.host}",
            f"--metrics-address={self.host}",
            f"--http-port={self.http_port}",
            f"--grpc-port={self.grpc_port}",
            f"--metrics-port={self.metrics_port}",
            "--log-verbose=0",
        ]
        cmd += [f"--load-model={m}" for m in self.first]
        return cmd + list(self.extra_args), env

    def start(self, timeout: float = 120.0) -> TritonServer:
        if not self.repo.is_dir():
            raise UserError(f"Triton model repository {self.repo} not found")
        cmd, env = self.command()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.loaded = set()
        self.wait_ready(timeout)
        self.loaded = set(self.first)
        self.track_shm()
        return self

    def load_rest(self, say=None) -> threading.Thread | None:
        """Load the models not in `first`, all at once (Triton loads them in parallel), in a thread."""
        rest = [m for m in self.models if m not in self.loaded]
        if not rest:
            return None

        def load_one(model: str) -> None:
            status, text = _post(f"{self.http_url}/v2/repository/models/{model}/load", {}, 600)
            if status == 200:
                self.loaded.add(model)
            elif say is not None:
                say(f"model {model!r} did not load: {text.decode(errors='replace')}")

        def load_all() -> None:
            start = time.monotonic()
            threads = [threading.Thread(target=load_one, args=(m,), daemon=True) for m in rest]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.track_shm()
            if say is not None:
                say(
                    f"all models loaded in {time.monotonic() - start:.1f} s more: {', '.join(sorted(self.loaded))}"
                )

        self._loader = threading.Thread(target=load_all, name="stylefuse-load-rest", daemon=True)
        self._loader.start()
        return self._loader

    def health_models(self) -> list[str]:
        return [m for m in self.models if m in self.loaded]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise UserError(
                    f"tritonserver exited with code {self.process.returncode} while starting; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if self.ready():
                return
            time.sleep(0.25)
        self.stop()
        raise UserError(
            f"tritonserver was not ready within {timeout:.0f} s; log {self.log_path}:\n{self.log_tail()}"
        )

    def ready(self) -> bool:
        if _get(f"{self.http_url}/v2/health/ready")[0] != 200:
            return False
        return all(_get(f"{self.http_url}/v2/models/{m}/ready")[0] == 200 for m in self.first)

    def track_shm(self) -> None:
        """Remember the python backend's shared-memory regions this server and its stubs map, and the
        stubs' PIDs: a server that dies (killed, crashed) leaves its stubs running, no longer its children."""
        if self.process is not None and self.process.poll() is None:
            children = _children(self.process.pid)
            self.shm |= _mapped_shm([self.process.pid, *children])
            self.stubs |= {pid for pid in children if _is_stub(pid)}

    def stop(self, timeout: float = 30.0) -> int | None:
        proc, code = self.process, None
        if proc is not None:
            self.track_shm()
            children = _children(proc.pid)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            code = proc.returncode
            for pid in {
                *children,
                *self.stubs,
            }:  # stubs orphaned by a killed server (checked again: pids get reused)
                if _is_stub(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self.stubs.clear()
            self.process = None
        for name in self.shm:  # only regions this server's processes had mapped
            try:
                os.unlink(name)
            except OSError:
                pass
        self.shm.clear()
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> TritonServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.cleanup()


def first_models(repo: Path, models: list[str]) -> list[str]:
    """The models to have ready first: each task's default (config parameter `default`), with their
    GPU-profile generator models; all of `models` if none is marked."""
    marked = re.compile(r'key:\s*"default"\s*value:\s*\{\s*string_value:\s*"true"')
    first = [
        m
        for m in models
        if (repo / m / "config.pbtxt").is_file()
        and marked.search((repo / m / "config.pbtxt").read_text(errors="replace"))
    ]
    first += [f"{m}-generator" for m in first if f"{m}-generator" in models]
    return first or list(models)


def serve(
    repo=None,
    host: str = "127.0.0.1",
    http_port: int = 8000,
    grpc_port: int = 8001,
    metrics_port: int = 8002,
    models: list[str] | None = None,
    ready_timeout: float = 180.0,
    health_interval: float = 30.0,
    say=print,
    instances: int | None = None,
    kind: str | None = None,
    lazy: bool = True,
) -> int:
    """`stylefuse serve`: export the models if no repository is given, run the server until Ctrl-C/SIGTERM.

    `instances`/`kind` shape the repository written here (a given `repo` has its own config.pbtxt).
    Without `models`, the default model of each task is loaded first and the server is ready with
    it; the other models load in the background (`lazy`). With `models`, exactly those, all first.
    """
    from .repository import torch_threads_per_instance, write_repository

    warning = exposure_warning(host, (http_port, grpc_port, metrics_port))
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if repo is not None and (instances is not None or kind is not None):
        raise UserError(
            "--instances and --kind shape the repository `stylefuse serve` writes itself; a --repo "
            "has its own config.pbtxt (instance_group, kind): leave out --repo, or edit that file"
        )
    own_repo = None
    if repo is None:
        own_repo = Path(tempfile.mkdtemp(prefix="stylefuse-repo-"))
        threads = torch_threads_per_instance(instances or 1)
        written = write_repository(
            own_repo, models, profile=kind or "cpu", instances=instances or 1, torch_threads=threads
        )
        say(
            f"exported {', '.join(written)} to {own_repo} ({kind or 'cpu'} profile, {instances or 1} "
            f"instance(s) per model)"
        )
        repo = own_repo
    server = TritonServer(repo, host, http_port, grpc_port, metrics_port, models=models)
    if models:  # the models asked for, and a GPU profile's generators with them
        server.models = (
            [m for m in server.models if m in models or m.removesuffix("-generator") in models]
            if own_repo is not None
            else server.models
        )
        server.first = list(server.models)
    elif lazy:
        server.first = first_models(Path(repo), server.models)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, on_term)
    except ValueError:
        pass
    try:
        start = time.monotonic()
        server.start(ready_timeout)
        say(f"tritonserver ready in {time.monotonic() - start:.1f} s: models {', '.join(server.first)}")
        if server.load_rest(say) is not None:
            say(
                f"  loading the others in the background: {', '.join(m for m in server.models if m not in server.first)}"
            )
        say(
            f"  gRPC {server.grpc_url}   HTTP {server.http_url}   metrics http://{host}:{metrics_port}/metrics"
        )
        say(f"  log {server.log_path}; Ctrl-C stops it")
        while True:
            time.sleep(health_interval)
            if server.process.poll() is not None:
                raise UserError(
                    f"tritonserver exited with code {server.process.returncode}:\n{server.log_tail()}"
                )
            try:
                busy = dict(server.busy)
                for model in server.heal():
                    say(f"model {model!r} failed its health probe (dead backend stub?): reloaded")
                for model, count in server.busy.items():
                    if count > busy.get(model, 0):
                        say(f"model {model!r}: health probe timed out while the model was busy: not reloaded")
            except UserError as exc:  # keep serving the other models; try again next round
                say(f"health check: {exc}")
    except KeyboardInterrupt:
        say("stopping tritonserver ...")
        return 0
    finally:
        server.cleanup()
        if own_repo is not None:
            shutil.rmtree(own_repo, ignore_errors=True)
        try:
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, TypeError):
            pass
