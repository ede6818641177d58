"""Small networking and process helpers shared by the embedded servers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> None:
    """Wait until something accepts on host:port; `alive` lets a dead server fail fast."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if not alive():
            raise RuntimeError(f"the server for {host}:{port} exited before listening")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")
        time.sleep(0.05)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop
    (a pytest-asyncio fixture calling start_stack): then it runs on a private thread."""

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def stop_process(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within `grace` seconds; safe to call twice."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
