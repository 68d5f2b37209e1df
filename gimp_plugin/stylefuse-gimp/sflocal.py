"""The GIMP plug-in's server-less path: run the installed stylefuse core in a subprocess.

`stylefuse gimp-install` leaves `installed.json` beside the plug-in: the command that runs that
installation's core and its models. When no server answers, the plug-in writes the pixels to
temporary TIFF files (the image's own sample type: 8/16-bit or float), runs `stylefuse stylize/fuse
... -o OUT.tif` through the watchdog sfwatch.py and reads the result back. Why a subprocess per run
and not a local server started on demand: nothing stays behind after GIMP (no daemon, no port to
collide with, no serve extra needed), a cancel is a process-group kill, and each run sees the
installation as it is now. A server (`stylefuse serve`) remains the fast path for many calls.
Standard library only.
"""

import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
RECORD = os.path.join(HERE, "installed.json")
# GIMP bundles (Windows, macOS, AppImage, Flatpak) point Python at their own interpreter: not for the core
UNSET_ENV = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "PYTHONUSERBASE", "VIRTUAL_ENV")
REINSTALL = "run `stylefuse gimp-install` from the Python environment that has stylefuse"


class LocalError(Exception):
    """The local core cannot run, or it failed; the message is for the user."""


class Cancelled(Exception):
    """The local run was stopped before it gave a result."""


# -- what gimp-install recorded ------------------------------------------------------------------
def load_record(path=RECORD):
    """installed.json as a dict, or None when the plug-in was copied by hand (or the file is bad)."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def core_command(record):
    """The argv prefix that runs the recorded core; LocalError when there is none that can run."""
    cmd = (record or {}).get("command")
    if not cmd or not isinstance(cmd, list) or not all(isinstance(c, str) for c in cmd):
        raise LocalError(f"no local stylefuse is recorded for the plug-in; {REINSTALL}")
    if not os.path.isfile(cmd[0]):
        raise LocalError(f"the stylefuse recorded by gimp-install ({cmd[0]}) is gone; {REINSTALL}")
    if os.path.exists("/.flatpak-info"):  # GIMP in a Flatpak sandbox: the core lives on the host
        return ["flatpak-spawn", "--host", *cmd]
    return list(cmd)


def recorded_models(record):
    """[(name, task, has_default_style, default)] of the recorded models."""
    out = []
    for m in (record or {}).get("models") or []:
        if isinstance(m, dict) and isinstance(m.get("name"), str) and m.get("task") in ("style", "fuse"):
            out.append((m["name"], m["task"], bool(m.get("has_default_style")), bool(m.get("default"))))
    return out


def list_models(record, timeout=30.0):
    """`stylefuse models --json` of the recorded core: [(name, task, has_default_style, default)]."""
    try:
        proc = subprocess.run(
            [*core_command(record), "models", "--json"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=core_env(),
        )
        models = json.loads(proc.stdout)
    except (LocalError, OSError, ValueError, subprocess.SubprocessError):
        return []
    known = {m[0]: m[2] for m in recorded_models(record)}
    return [
        (m["name"], m["task"], known.get(m["name"], m["task"] == "style"), bool(m.get("default")))
        for m in models
        if isinstance(m, dict) and m.get("task") in ("style", "fuse")
    ]


def core_env():
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- TIFF: the temporary files (uncompressed out, uncompressed or zlib in) -------------------------
KINDS = {"u8": (8, 1, 1), "u16": (16, 1, 2), "float": (32, 3, 4)}  # bits, SampleFormat, bytes


def write_tiff(path, width, height, channels, kind, data):
    """One strip of native-order samples, contiguous; alpha (2 or 4 channels) as unassociated."""
    bits, sample_format, size = KINDS[kind]
    if len(data) != width * height * channels * size:
        raise ValueError("pixel data does not fit the size")
    bo = "<" if sys.byteorder == "little" else ">"
    entries = [
        (256, 4, [width]),
        (257, 4, [height]),
        (258, 3, [bits] * channels),
        (259, 3, [1]),
        (262, 3, [2 if channels >= 3 else 1]),
        (273, 4, [0]),
        (277, 3, [channels]),
        (278, 4, [height]),
        (279, 4, [len(data)]),
        (284, 3, [1]),
    ]
    if channels in (2, 4):
        entries.append((338, 3, [2]))
    entries.append((339, 3, [sample_format] * channels))
    ifd_size = 2 + 12 * len(entries) + 4
    extra, extra_at = b"", 8 + ifd_size
    packed = []
    for tag, typ, values in entries:
        raw = struct.pack(f"{bo}{len(values)}{'H' if typ == 3 else 'I'}", *values)
        if len(raw) <= 4:
            packed.append([tag, typ, len(values), raw.ljust(4, b"\0")])
        else:
            packed.append([tag, typ, len(values), struct.pack(f"{bo}I", extra_at + len(extra))])
            extra += raw + (b"\0" if len(raw) % 2 else b"")
    data_at = extra_at + len(extra)
    for p in packed:
        if p[0] == 273:
            p[3] = struct.pack(f"{bo}I", data_at)
    with open(path, "wb") as f:
        f.write((b"II" if bo == "<" else b"MM") + struct.pack(f"{bo}HI", 42, 8))
        f.write(struct.pack(f"{bo}H", len(packed)))
        for tag, typ, count, value in packed:
            f.write(struct.pack(f"{bo}HHI", tag, typ, count) + value)
        f.write(struct.pack(f"{bo}I", 0))
        f.write(extra)
        f.write(data)


def read_tiff(path):
    """(width, height, channels, kind, native-order bytes) of a strip TIFF as stylefuse writes it."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:2] not in (b"II", b"MM"):
        raise LocalError("the core's result is not a TIFF file")
    bo = "<" if blob[:2] == b"II" else ">"
    magic, ifd = struct.unpack_from(f"{bo}HI", blob, 2)
    if magic != 42:
        raise LocalError("the core's result is a BigTIFF; the plug-in reads classic TIFF only")
    tags = {}
    (n,) = struct.unpack_from(f"{bo}H", blob, ifd)
    for i in range(n):
        tag, typ, count = struct.unpack_from(f"{bo}HHI", blob, ifd + 2 + 12 * i)
        fmt = {3: "H", 4: "I", 16: "Q"}.get(typ)
        if fmt is None:
            continue
        size = struct.calcsize(fmt) * count
        at = ifd + 2 + 12 * i + 8
        if size > 4:
            (at,) = struct.unpack_from(f"{bo}I", blob, at)
        tags[tag] = struct.unpack_from(f"{bo}{count}{fmt}", blob, at)
    width, height = tags[256][0], tags[257][0]
    channels = tags.get(277, (1,))[0]
    bits, sample_format = tags.get(258, (1,))[0], tags.get(339, (1,))[0]
    kind = {(8, 1): "u8", (16, 1): "u16", (32, 3): "float"}.get((bits, sample_format))
    compression, predictor = tags.get(259, (1,))[0], tags.get(317, (1,))[0]
    if (
        kind is None
        or tags.get(284, (1,))[0] != 1
        or 322 in tags
        or predictor != 1
        or compression not in (1, 8, 32946)
    ):
        raise LocalError(
            f"the core's result is a TIFF the plug-in cannot read (bits {bits}, sample format "
            f"{sample_format}, compression {compression}, predictor {predictor})"
        )
    parts = [blob[o : o + c] for o, c in zip(tags[273], tags[279], strict=True)]
    data = b"".join(zlib.decompress(p) for p in parts) if compression != 1 else b"".join(parts)
    nbytes = KINDS[kind][2]
    if len(data) != width * height * channels * nbytes:
        raise LocalError("the core's result TIFF is truncated")
    if nbytes > 1 and (bo == "<") != (sys.byteorder == "little"):
        import array

        a = array.array({2: "H", 4: "f"}[nbytes])
        a.frombytes(data)
        a.byteswap()
        data = a.tobytes()
    return width, height, channels, kind, data


# -- one run -------------------------------------------------------------------------------------
class LocalRun:
    """A temporary folder and the watchdog that owns it (see sfwatch.py); use as a context manager."""

    def __init__(self, tmp_root=None):
        self.dir = tempfile.mkdtemp(prefix="stylefuse-gimp-", dir=tmp_root)
        try:
            self.watch = subprocess.Popen(
                [sys.executable or "python3", os.path.join(HERE, "sfwatch.py"), self.dir],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
                env=core_env(),
            )
        except OSError as exc:
            os.rmdir(self.dir)
            raise LocalError(f"cannot start the plug-in's helper process: {exc}") from None
        self.events = queue.Queue()
        self.messages = []
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def path(self, name):
        return os.path.join(self.dir, name)

    def _read(self):
        for line in self.watch.stdout:
            kind, _, rest = line.rstrip("\n").partition(" ")
            self.events.put((kind, rest))
        self.events.put(("gone", ""))

    def run(self, argv, on_progress, on_pulse):
        """Run argv (the core) to its end; on_progress(fraction) or on_pulse() while it runs."""
        self.watch.stdin.write(
            json.dumps({"argv": argv, "unset_env": list(UNSET_ENV), "env": {"PYTHONUNBUFFERED": "1"}}) + "\n"
        )
        self.watch.stdin.flush()
        while True:
            try:
                kind, rest = self.events.get(timeout=0.2)
            except queue.Empty:
                on_pulse()
                continue
            if kind == "progress":
                done, total = (int(v) for v in rest.split())
                if total > 0:
                    on_progress(min(done / total, 1.0))
            elif kind == "text":
                self.messages.append(rest)
            elif kind == "exit":
                return int(rest)
            elif kind == "gone":
                raise Cancelled("the plug-in's helper process ended before the core finished")

    def error_text(self):
        """The core's own error line (`stylefuse: error: ...`), else its last words."""
        errors = [m for m in self.messages if m.startswith("stylefuse:") or "Error" in m]
        return (errors or self.messages or ["no message"])[-1]

    def close(self):
        try:
            self.watch.stdin.close()
        except OSError:
            pass
        try:
            self.watch.wait(20)
        except subprocess.TimeoutExpired:
            self.watch.kill()
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)
