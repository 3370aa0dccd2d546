"""WeasyPrint's progress log (the ``weasyprint.progress`` logger) -> pages laid out, for a
progress bar.

The logger is public (WeasyPrint's docs, "Logging"); the wording of its records is not,
hence this module's place in the seam: WeasyPrint 70 logs "Step 5 - Creating layout -
Page %d" as it starts each page (again, "(up-to-date)", when it repaginates for
``target-counter``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

LAYOUT_PAGE = "Step 5 - Creating layout - Page %d"

Report = Callable[[str, int], None]  # ("layout", pages laid out so far)


class _Listener(logging.Handler):
    def __init__(self, report: Report):
        super().__init__(level=logging.INFO)
        self.report = report
        self.laid_out = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == LAYOUT_PAGE and record.args:
            page = record.args[0]
            if page > self.laid_out:  # a repagination starts again at page 1: not progress
                self.laid_out = page
                self.report("layout", page)


@contextlib.contextmanager
def reporting(report: Report | None) -> Iterator[None]:
    """Within: WeasyPrint's page-by-page progress goes to ``report`` (and, as before,
    nowhere else: the records do not reach the console's handlers)."""
    if report is None:
        yield
        return
    logger = logging.getLogger("weasyprint.progress")
    listener = _Listener(report)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(listener)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(listener)
        logger.setLevel(level)
        logger.propagate = propagate
