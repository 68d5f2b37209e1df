"""Security defaults: loopback unless asked (and then a warning), checkpoints without pickled code,
TorchScript only from the places meant for models, plain model names, a pixel limit, and the GIMP
plug-in's client sending pixels to the configured URL only (no proxy, no redirect)."""

from __future__ import annotations

import http.server
import os
import pickle
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from stylefuse.errors import UserError

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "gimp_plugin" / "stylefuse-gimp"


# ------------------------------------------------------------------------------------------ loopback


def _listening(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":
                found.add(address)
    return found


def test_servers_listen_on_loopback_by_default(triton_server):
    from stylefuse.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert triton_server.host == "127.0.0.1"
    for port in (triton_server.http_port, triton_server.grpc_port, triton_server.metrics_port):
        addresses = _listening(port)
        assert addresses, f"nothing listens on {port}"
        # 127.0.0.1 in /proc's byte order (IPv4, IPv4-mapped IPv6, ::1); never 00000000 (all interfaces)
        loopback = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
        assert addresses <= loopback, (port, addresses)


def test_serve_on_all_interfaces_warns(tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylefuse.cli",
            "serve",
            "--host",
            "0.0.0.0",
            "--repo",
            str(tmp_path / "no-repo"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "warning" in res.stderr and "every network interface" in res.stderr, res.stderr
    assert "without authentication" in res.stderr and "127.0.0.1" in res.stderr
    assert res.returncode == 2  # and then the missing repository is the one error


def test_loopback_addresses_do_not_warn():
    from stylefuse_triton.launcher import exposure_warning, is_loopback

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host) and exposure_warning(host, (8000,)) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        assert not is_loopback(host) and "warning" in exposure_warning(host, (8000, 8001))


# ----------------------------------------------------------------------------------- pickled code


def _torch_load_calls() -> list[tuple[str, int, str]]:
    calls = []
    for folder in ("core", "server_triton", "plugin_napari", "benchmarks", "scripts"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(errors="replace")
            for match in re.finditer(r"torch\.load\(", text):
                end = text.find("\n\n", match.start())
                call = text[match.start() : end if end > 0 else None]
                depth, stop = 0, 0
                for i, ch in enumerate(call):
                    depth += ch == "("
                    depth -= ch == ")"
                    if depth == 0 and ch == ")":
                        stop = i + 1
                        break
                calls.append(
                    (str(path.relative_to(REPO)), text.count("\n", 0, match.start()) + 1, call[:stop])
                )
    return calls


def test_every_torch_load_is_weights_only():
    calls = _torch_load_calls()
    assert calls, "no torch.load call found: the scan is broken"
    unsafe = [f"{p}:{line}: {call}" for p, line, call in calls if "weights_only=True" not in call]
    assert not unsafe, "torch.load without weights_only=True:\n" + "\n".join(unsafe)


class _Payload:
    """Unpickling this would run `touch` (what a malicious checkpoint does)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_with_pickled_code_is_refused_and_the_code_never_runs(tmp_path):
    import torch

    from stylefuse.training.checkpoint import load_checkpoint

    marker = tmp_path / "pwned"
    evil = tmp_path / "last.pt"
    torch.save(
        {"step": 1, "generator": {}, "extra": _Payload(marker)}, evil, pickle_protocol=pickle.HIGHEST_PROTOCOL
    )
    with pytest.raises(UserError, match="corrupt or not a stylefuse checkpoint"):
        load_checkpoint(evil)
    assert not marker.exists(), "unpickling ran the checkpoint's code"


# --------------------------------------------------------------------------- where TorchScript loads


def test_torchscript_outside_the_model_places_is_refused(tmp_path):
    import shutil

    from stylefuse.registry import find_model, load_model_folder

    outside = tmp_path / "downloads" / "udnie"
    shutil.copytree(find_model("udnie").folder, outside)
    with pytest.raises(UserError) as info:
        load_model_folder(outside)
    message = str(info.value)
    assert (
        "refusing to load a model from" in message
        and str(outside) in message
        and "STYLEFUSE_MODELS" in message
    )
    sneaky = find_model("udnie").folder / ".." / ".." / ".." / ".." / str(outside).lstrip("/")
    with pytest.raises(UserError, match="refusing to load"):
        load_model_folder(sneaky)


def test_torchscript_in_the_user_folder_or_a_triton_repository_loads(tmp_path, monkeypatch):
    import shutil

    from stylefuse.registry import find_model, load_model_folder

    user = tmp_path / "models"
    monkeypatch.setenv("STYLEFUSE_MODELS", str(user))
    shutil.copytree(find_model("udnie").folder, user / "mine")
    assert load_model_folder(user / "mine").task == "style"
    repo = tmp_path / "triton" / "udnie" / "1"
    shutil.copytree(find_model("udnie").folder, repo)
    with pytest.raises(UserError, match="refusing"):
        load_model_folder(repo)
    assert load_model_folder(repo, "udnie", repository=tmp_path / "triton" / "udnie").name == "udnie"


@pytest.mark.parametrize(
    "name",
    [
        "../udnie",
        "udnie/../../x",
        "/abs",
        "~user",
        "a b",
        "x" * 65,
        "..",
        ".",
        "",
        "udnie\x00",
        "c:\\evil",
        "%2e%2e",
    ],
)
def test_model_names_are_validated_everywhere(name):
    sys.path.insert(0, str(PLUGIN_DIR))
    try:
        import sfclient
    finally:
        sys.path.remove(str(PLUGIN_DIR))
    from stylefuse.registry import find_model, validate_model_name

    with pytest.raises(UserError, match="invalid model name"):
        validate_model_name(name)
    with pytest.raises(UserError, match="invalid model name"):
        find_model(name)
    with pytest.raises(sfclient.ClientError, match="invalid model name"):
        sfclient.check_model_name(name)


def test_pixel_limit_is_configurable(monkeypatch):
    from stylefuse.limits import DEFAULT_MAX_PIXELS, max_pixels
    from stylefuse.pipeline import stylize

    assert max_pixels() == DEFAULT_MAX_PIXELS
    monkeypatch.setenv("STYLEFUSE_MAX_PIXELS", "50")
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(UserError, match=r"image is too large: 1x8x8 = 64 pixels, more than the limit of 50"):
        stylize(image)
    monkeypatch.setenv("STYLEFUSE_MAX_PIXELS", "0")  # no limit
    assert max_pixels() is None
    assert stylize(image).shape == image.shape


# ---------------------------------------------------------------- GIMP: pixels to the configured URL


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A tiny HTTP server that records every request; answers what `answer` says."""

    answer = staticmethod(lambda handler: (200, {}, b"{}"))

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, body))
        code, headers, payload = self.server.answer(self)
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    servers = []

    def start(answer=None):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.seen = []
        server.answer = answer or (lambda handler: (200, {}, b"{}"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _sfclient():
    sys.path.insert(0, str(PLUGIN_DIR))
    try:
        import sfclient
    finally:
        sys.path.remove(str(PLUGIN_DIR))
    return sfclient


def _pixels() -> bytes:
    marker = b"UNIQUE-PIXELS"
    return marker + bytes(range(3 * 8 * 8 - len(marker)))


def test_gimp_client_ignores_proxy_settings(recorder, monkeypatch):
    sfclient = _sfclient()
    proxy = recorder()
    target = recorder(lambda h: (400, {}, b'{"error":"stylefuse: recorded"}'))
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = sfclient.Client(f"http://127.0.0.1:{target.server_port}", timeout=10)
    with pytest.raises(sfclient.ServerError, match="recorded"):
        client.run("udnie", sfclient.Image(8, 8, 3, "UINT8", _pixels()))
    assert proxy.seen == [], "a request went to the proxy"
    assert any(b"UNIQUE-PIXELS" in body for _, _, body in target.seen)


def test_gimp_client_follows_no_redirect(recorder):
    sfclient = _sfclient()
    elsewhere = recorder()
    redirecting = recorder(
        lambda h: (307, {"Location": f"http://127.0.0.1:{elsewhere.server_port}{h.path}"}, b"")
    )
    client = sfclient.Client(f"http://127.0.0.1:{redirecting.server_port}", timeout=10)
    with pytest.raises(
        sfclient.ServerError, match="redirects to .*images are sent only to the configured URL"
    ):
        client.run("udnie", sfclient.Image(8, 8, 3, "UINT8", _pixels()))
    with pytest.raises(sfclient.ClientError):
        client.models()
    assert elsewhere.seen == [], "a redirect was followed"
    assert all(path.startswith("/v2/") for _, path, _ in redirecting.seen)


def test_gimp_plugin_has_one_way_out():
    """The plug-in's network code is sfclient's opener, and the plug-in itself opens no connection."""
    plugin = (PLUGIN_DIR / "stylefuse-gimp.py").read_text()
    client = (PLUGIN_DIR / "sfclient.py").read_text()
    for word in ("urlopen", "socket.", "http.client", "requests"):
        assert word not in plugin, word
    assert "urlopen(" not in client and "_OPENER.open(" in client
    assert "ProxyHandler({})" in client


def test_gimp_model_name_never_reaches_the_wire(recorder):
    sfclient = _sfclient()
    server = recorder()
    client = sfclient.Client(f"http://127.0.0.1:{server.server_port}", timeout=10)
    with pytest.raises(sfclient.ClientError, match="invalid model name"):
        client.run("../../v2/repository/models/udnie/unload", sfclient.Image(8, 8, 3, "UINT8", _pixels()))
    assert server.seen == []


def test_pickle_payload_helper_is_what_it_claims(tmp_path):
    """The payload above really runs its command when unpickled (so the refusal test means something)."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()
