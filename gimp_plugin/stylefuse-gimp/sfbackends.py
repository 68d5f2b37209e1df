"""Where the plug-in's work runs: a stylefuse server (the fast path) or the recorded core in a subprocess.

Both take the same request (model, source pixels, reference, strength, colours, method) and give
the result's bytes in the source's own sample type; GIMP's progress bar pulses for the server and
follows the core's own progress bar for the subprocess.
"""

import os
import threading

import sfchoices
import sfclient
import sfkind
import sflocal
from gi.repository import Gimp

KIND = {"UINT8": "u8", "UINT16": "u16", "FP32": "float"}


class PluginError(Exception):
    """A message for the user; the image is left as it was."""


def connect(url):
    """The server at url when one answers there, else the recorded local core; PluginError if neither."""
    client = sfclient.Client(url)  # ClientError for a malformed URL: that stays an error
    try:
        client.check()  # before anything else: a missing server must leave the image untouched
        return ServerBackend(client)
    except sfclient.ServerUnreachable as exc:
        record = sflocal.load_record()
        try:
            command = sflocal.core_command(record)
        except sflocal.LocalError as why:
            raise PluginError(f"{exc}; the plug-in cannot run stylefuse itself either: {why}") from None
        return LocalBackend(command, record, url)


def check_own_style(info, need_default_style):
    if need_default_style and info.task == "style" and not info.has_default_style:
        raise PluginError(
            f"style model {info.name!r} has no style of its own: set Style to 'A reference "
            "layer' and choose the layer whose style to take (or choose another model)"
        )


def temp_root():
    """GIMP's folder for temporary files (Preferences > Folders), else the system's."""
    try:
        folder = Gimp.temp_file("tif").get_parent().get_path()
        os.makedirs(folder, exist_ok=True)
        return folder
    except Exception:  # no GIMP folder (or not writable): the system's temporary folder
        return None


class ServerBackend:
    def __init__(self, client):
        self.client = client
        self.where = f"the server at {client.url}"

    def pick(self, requested, task, need_default_style=False, pair=None):
        """The model to ask the server for; fusion with none requested: the automatic rule on `pair`."""
        client = self.client
        if requested:
            sfclient.check_model_name(requested)
            served = {m.name: m for m in client.models()}
            if requested not in served:
                names = ", ".join(sorted(m for m, info in served.items() if info.task == task)) or "none"
                raise PluginError(
                    f"model {requested!r} is not served by {client.url}; {task} models there: {names}"
                )
            if served[requested].task != task:
                raise PluginError(
                    f"model {requested!r} is a {served[requested].task} model, not a {task} model"
                )
            check_own_style(served[requested], need_default_style)
            return requested
        if task == "fuse" and pair is not None:  # a request names its model: the rule is the client's
            chosen = sfkind.model_for_kind(sfkind.classify(*pair), client.models(task))
        else:
            chosen = sfclient.pick_default(client.models(task), task, need_default_style)
        if chosen is None:
            raise PluginError(f"the server at {client.url} has no {task} model")
        return chosen

    def run(self, task, model, source, method=None, **kwargs):
        """client.run in a thread while the progress bar pulses (GIMP calls stay on this thread)."""
        if method not in (None, "generator"):
            kwargs["method"] = method
        box = {}

        def work():
            try:
                box["result"] = self.client.run(model, source, **kwargs)
            except Exception as exc:  # handed over to the main thread
                box["error"] = exc

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            Gimp.progress_pulse()
        if "error" in box:
            if method == "synthesis" and isinstance(box["error"], sfclient.ServerError):
                raise PluginError(
                    f"{self.where} could not run synthesis ({box['error']}); a server older "
                    "than synthesis refuses it: update it, or stop it and the plug-in runs "
                    "stylefuse itself"
                ) from None
            raise box["error"]
        return box["result"]


class LocalBackend:
    def __init__(self, command, record, url):
        self.command, self.record = command, record
        self.where = f"the local stylefuse (no server at {url})"
        self.models = [sfclient.ModelInfo(n, t, 0, s, d) for n, t, s, d in sflocal.recorded_models(record)]

    def pick(self, requested, task, need_default_style=False, pair=None):
        """The model to run; fusion with none requested: None, so `stylefuse fuse` applies its own rule."""
        known = {m.name: m for m in self.models}
        if requested and known and requested not in known:
            names = ", ".join(m.name for m in self.models if m.task == task) or "none"
            raise PluginError(
                f"model {requested!r} is not installed with the local stylefuse; {task} models "
                f"there: {names} (run `stylefuse gimp-install` again after adding models)"
            )
        if requested in known and known[requested].task != task:
            raise PluginError(f"model {requested!r} is a {known[requested].task} model, not a {task} model")
        if requested in known:
            check_own_style(known[requested], need_default_style)
        if task == "fuse":
            return requested
        return requested or sfclient.pick_default(self.models, task, need_default_style)

    def run(self, task, model, source, reference=None, strength=None, preserve_color=None, method=None):
        kind = KIND[source.datatype]
        with sflocal.LocalRun(temp_root()) as job:
            src, out = job.path("source.tif"), job.path("result.tif")
            sflocal.write_tiff(src, source.width, source.height, source.channels, kind, source.data)
            ref = None
            if reference is not None:
                ref = job.path("reference.tif")
                sflocal.write_tiff(
                    ref,
                    reference.width,
                    reference.height,
                    reference.channels,
                    KIND[reference.datatype],
                    reference.data,
                )
            argv = list(self.command)
            if task == "fuse":
                argv += ["fuse", src, ref] + (["--model", model] if model else [])
            else:
                argv += ["stylize", src]
                if method == "synthesis":
                    argv += ["--style", ref, "--method", "synthesis"]
                elif ref is not None:
                    argv += ["--style", ref] + (["--model", model] if model else [])
                elif model:
                    argv += ["--style", model]
                if strength is not None:
                    argv += ["--strength", repr(float(strength))]
                if preserve_color:
                    argv += ["--preserve-color"]
            argv += ["-o", out]
            code = job.run(argv, Gimp.progress_update, Gimp.progress_pulse)
            if code != 0:
                raise PluginError(f"the local stylefuse failed (exit {code}): {job.error_text()}")
            try:
                width, height, channels, out_kind, data = sflocal.read_tiff(out)
            except (OSError, KeyError, ValueError) as exc:
                raise PluginError(f"the local stylefuse left no readable result: {exc}") from None
            if (width, height, channels, out_kind) != (source.width, source.height, source.channels, kind):
                raise PluginError(
                    f"the local stylefuse returned {width}x{height}x{channels} {out_kind}, expected "
                    f"{source.width}x{source.height}x{source.channels} {kind}"
                )
            return data


def model_entries(task):
    """The Model choice's (nick, label) rows, computed once per plug-in process."""
    if not hasattr(model_entries, "models"):
        try:
            gimp_dir = Gimp.directory()
        except Exception:  # no GIMP folder: no cache
            gimp_dir = None
        model_entries.models = sfchoices.known_models(gimp_dir, getattr(model_entries, "registering", False))
    return sfchoices.entries(model_entries.models, task)
