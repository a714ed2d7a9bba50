"""Worker processes that end with their parent (sweeps and compares use them)."""

import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_CHECK_S = 1.0


def die_with_parent(parent: int) -> None:
    """Worker initializer: the worker ends when its parent does, however the parent died
    (SIGKILL, SIGTERM, the OOM killer): the kernel's parent-death signal where there is one
    (Linux prctl), and a thread that checks the parent every second everywhere."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="gridvalue-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)
