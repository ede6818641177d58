"""A service's logging: one line a message, and a broker that has gone said once in a while,
not hundreds of times a second."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
REPEAT_EVERY_S = 30.0


class Repeats(logging.Filter):
    """Lets a message of the loggers under `prefix` through once per `every_s` for each
    logger, level and message template, and says with the next one how many were held back.

    With the broker gone, aiokafka logs every failed connect, metadata update, fetch and
    coordinator request: ~60 lines a second a consumer, hundreds a service, and a log that
    grows by megabytes a minute while saying one thing. Ordo's own messages are left alone:
    one template there ("dead-lettered %s: %s") carries a different fact each time."""

    def __init__(
        self,
        prefix: str = "aiokafka",
        every_s: float = REPEAT_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.prefix, self.every_s, self.clock = prefix, every_s, clock
        self._seen: dict[tuple[str, int, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != self.prefix and not record.name.startswith(self.prefix + "."):
            return True
        key = (record.name, record.levelno, record.msg)
        now = self.clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.every_s:
            self._seen[key] = (seen[0], seen[1] + 1)
            return False
        self._seen[key] = (now, 0)
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} [and {seen[1]} more like it in {now - seen[0]:.0f} s]"
        return True


def setup_logging() -> None:
    """What a service process logs, and how: INFO and up, aiokafka's WARNING and up, its
    repeats held back (see `Repeats`)."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    repeats = Repeats()
    # On the handlers: a logger's own filters see only what is logged on that very logger,
    # not on aiokafka.conn, aiokafka.consumer.fetcher, ...
    for handler in logging.getLogger().handlers:
        handler.addFilter(repeats)
