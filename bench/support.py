"""Helpers the benchmark scripts share: loopback ports, log tails and stopping what they started.

Imported as ``support`` by the scripts in this folder (run as ``python bench/<script>.py``, so this folder
is on ``sys.path``).
"""

import os
import signal
import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the kernel's pick; the probe socket is closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of the text file at ``path`` (undecodable bytes replaced), or "" if it
    does not exist."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a process started with ``start_new_session=True`` and its whole process group: SIGTERM, up to
    15 s to exit, then SIGKILL and up to 15 s more. Nothing to do if it is None or has already exited."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
