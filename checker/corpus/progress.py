"""The progress bar of a corpus run (tqdm, on stderr): bytes checked, with files, events
and violations so far. Shown only on a terminal."""
from __future__ import annotations

import sys

from .run import CorpusProgress


class ProgressBar:
    """A `progress` callback for `check_corpus` that draws a bar; `close()` when done."""

    def __init__(self, enabled: bool = True, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.bar = None

    def __call__(self, state: CorpusProgress) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=state.bytes_total, unit="B", unit_scale=True, file=self.stream,
                            desc="checking traces", dynamic_ncols=True)
        self.bar.update(state.bytes_done - self.bar.n)
        self.bar.set_postfix_str(f"files {state.files_done}/{state.files_total}, "
                                 f"{state.events:,} events, {state.violations:,} violations", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
