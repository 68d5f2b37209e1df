"""Watchdog between the GIMP plug-in and a `stylefuse` command it runs (standard library only).

    python3 sfwatch.py TMPDIR        (started by sflocal.LocalRun, in a session of its own)

GIMP cancels a plug-in by killing its process (SIGKILL after 10 ms): the plug-in gets no chance to
stop the command it started or to remove its temporary files. So the plug-in runs the command
through this process instead. It reads one JSON line from stdin, {"argv": [...], "env": {...}},
starts the command in a process group of its own with its stderr on a pseudo-terminal (so the
core's tqdm bar is drawn and can be parsed), and writes one line per event on stdout:

    started PID | progress DONE TOTAL | text LINE | exit CODE

When stdin closes (the plug-in has read the result, or it died) the command's process group is
killed if it still runs, TMPDIR is removed, and this process ends. Nothing outlives the plug-in.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

PROGRESS = re.compile(r"(\d+)/(\d+)\s*\[")  # tqdm: "desc:  37%|###   | 3/8 [00:01<00:02, 2.5tile/s]"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Events:
    """Lines to the plug-in; a closed pipe means the plug-in is gone."""

    def __init__(self, gone):
        self.lock, self.gone = threading.Lock(), gone

    def send(self, *words):
        line = " ".join(str(w) for w in words).replace("\n", " ") + "\n"
        with self.lock:
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.gone.set()


def watch_stdin(gone):
    try:
        while sys.stdin.readline():
            pass
    except (OSError, ValueError):
        pass
    gone.set()


def relay(fd, events):
    """The command's stderr (a pty, or a pipe without one): progress parsed, other lines passed on."""
    pending = ""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the pty's other side is closed
            break
        if not chunk:
            break
        pending += chunk.decode("utf-8", "replace")
        *done, pending = re.split(r"[\r\n]", pending)
        for segment in done:
            emit(ANSI.sub("", segment).strip(), events)
    emit(ANSI.sub("", pending).strip(), events)


def emit(segment, events):
    if not segment:
        return
    match = PROGRESS.search(segment)
    if match and "|" in segment:
        events.send("progress", match.group(1), match.group(2))
    else:
        events.send("text", segment)


def stderr_channel():
    """(fd the command writes to, fd we read): a pseudo-terminal where there is one, else a pipe."""
    try:
        import fcntl
        import pty
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
        return slave, master
    except (ImportError, OSError):
        read, write = os.pipe()
        return write, read


def stop(proc):
    """End the command and everything it started (its process group), politely first."""
    if proc.poll() is not None:
        return
    killpg = getattr(os, "killpg", None)
    for sig, wait in ((signal.SIGTERM, 3.0), (getattr(signal, "SIGKILL", signal.SIGTERM), 10.0)):
        try:
            if killpg is not None:
                killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(tmpdir):
    for sig in ("SIGINT", "SIGHUP", "SIGPIPE"):  # the plug-in's fate reaches us through stdin only
        if hasattr(signal, sig):
            signal.signal(getattr(signal, sig), signal.SIG_IGN)
    gone = threading.Event()
    events = Events(gone)
    proc = None
    try:
        line = sys.stdin.readline()
        if not line:
            return 0
        job = json.loads(line)
        threading.Thread(target=watch_stdin, args=(gone,), daemon=True).start()
        env = dict(os.environ)
        env.update(job.get("env") or {})
        for key in job.get("unset_env") or ():
            env.pop(key, None)
        write_fd, read_fd = stderr_channel()
        try:
            proc = subprocess.Popen(
                job["argv"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=write_fd,
                cwd=tmpdir,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            events.send("text", f"cannot run {job['argv'][0]}: {exc.strerror or exc}")
            events.send("exit", 127)
            gone.wait()
            return 0
        finally:
            os.close(write_fd)
        events.send("started", proc.pid)
        reader = threading.Thread(target=relay, args=(read_fd, events), daemon=True)
        reader.start()
        while proc.poll() is None and not gone.wait(0.1):
            pass
        if gone.is_set():
            stop(proc)
            return 0
        reader.join(5.0)
        events.send("exit", proc.returncode)
        gone.wait()  # the plug-in reads the result, then closes our stdin
        return 0
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
