"""The worker processes never outlive the service that spawned them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SERVICE = textwrap.dedent(
    """
    import os, time
    from services.common import workers

    if __name__ == "__main__":
        pool = workers.worker_pool()
        print(pool.submit(os.getpid).result(), flush=True)
        time.sleep(120)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie awaiting its reaper counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: signatures are checked in-process")
def test_the_worker_ends_when_its_service_is_killed() -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    worker = 0
    try:
        assert service.stdout is not None
        worker = int(service.stdout.readline())
        assert worker != service.pid and _alive(worker)
        service.send_signal(signal.SIGKILL)
        service.wait()
        deadline = time.monotonic() + 30  # a generous bound on a condition, not a timing claim
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the worker outlived its killed service"
    finally:
        service.kill()
        if worker and _alive(worker):
            os.kill(worker, signal.SIGKILL)
