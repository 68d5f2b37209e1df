"""Signal a training process once it reached a point (shared by the interrupt tests)."""

import subprocess
import time


def signal_when(args: list[str], env: dict, ready, sig: int, what: str, deadline_s: float = 1200):
    """Start `args`, send `sig` once `ready()` holds, and return (returncode, stderr); never leaks the process."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Generous: a loaded 2-core machine can be many times slower than an idle one.
        deadline = time.time() + deadline_s
        while not ready():
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            assert time.time() < deadline, f"training never {what}"
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err
