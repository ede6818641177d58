"""A service stops by itself once the process that started it has gone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import psutil

from ordo_runtime.stopping import orphaned, watch_parent

# Runs as a service would under `ordo up`: its own session, its parent named in the
# environment; it exits once its stop is set.
WATCHING = textwrap.dedent(
    """
    import asyncio
    from ordo_runtime.settings import Settings
    from ordo_runtime.stopping import watch_parent

    parent = Settings().ordo_parent_pid
    assert parent is not None
    asyncio.run(watch_parent(parent, asyncio.Event(), every_s=0.05))
    """
)
# The supervisor: starts the watching child, says its pid, then waits to be killed.
SUPERVISOR = textwrap.dedent(
    """
    import os, subprocess, sys, time
    env = {**os.environ, "ORDO_PARENT_PID": str(os.getpid())}
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env=env, start_new_session=True)
    print(child.pid, flush=True)
    time.sleep(60)
    """
)


def test_only_a_process_whose_parent_is_gone_is_orphaned() -> None:
    assert not orphaned(os.getppid())
    assert orphaned(os.getpid())  # not its own parent: as if its parent had gone


async def test_the_watch_stops_once_the_parent_has_gone() -> None:
    stop = asyncio.Event()
    await asyncio.wait_for(watch_parent(os.getpid(), stop, every_s=0.01), 1)
    assert stop.is_set()


async def test_the_watch_leaves_a_living_parent_be_and_ends_with_the_service() -> None:
    stop = asyncio.Event()
    watching = asyncio.create_task(watch_parent(os.getppid(), stop, every_s=0.01))
    await asyncio.sleep(0.1)
    assert not watching.done()
    stop.set()
    await asyncio.wait_for(watching, 1)


def test_a_child_stops_soon_after_its_supervisor_is_killed() -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, WATCHING], stdout=subprocess.PIPE
    )
    with supervisor:
        assert supervisor.stdout is not None
        try:
            child = psutil.Process(int(supervisor.stdout.readline()))
        finally:
            supervisor.kill()
    try:
        child.wait(10)  # psutil.TimeoutExpired if it runs on
    finally:
        if child.is_running():
            child.kill()
