"""The progress bar the CLI draws for the library's silent progress callbacks.

Shown on stderr only when stderr is a terminal, not ``--quiet``, and the work has already
taken over a second: quick commands print nothing but their result.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["ProgressBar"]


class ProgressBar:
    """A callable ``(rows, done, total)`` that draws rows and rows/s against input bytes."""

    def __init__(self, description: str, *, quiet: bool = False, delay_s: float = 1.0) -> None:
        self.description = description
        self.enabled = not quiet and sys.stderr.isatty()
        self.delay_s = delay_s
        self.started = time.perf_counter()
        self._progress: Progress | None = None
        self._task = 0

    def __call__(self, rows: int, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if self._progress is None:
            if elapsed < self.delay_s:
                return
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TextColumn("{task.fields[rows]:>12,} rows"),
                TextColumn("{task.fields[rate]:>10,.0f} rows/s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.description, total=total or None, rows=0, rate=0.0
            )
        self._progress.update(
            self._task, completed=done, rows=rows, rate=rows / elapsed if elapsed > 0 else 0.0
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
