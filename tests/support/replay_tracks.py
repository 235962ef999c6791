"""Price tracks for the replayed market's tests, made the way ``trimtab.app.moving_market`` makes them."""

from __future__ import annotations

import numpy as np

from trimtab.backtest.data import load_price_frame, parse_price_frame
from trimtab.venues.replay import PriceTrack


def track_of(frame_text: str | None = None) -> PriceTrack:
    """The track of a price file's text (None: the bundled history)."""
    frame = load_price_frame() if frame_text is None else parse_price_frame(frame_text, "test.csv")
    return PriceTrack(
        frame.source,
        frame.times.astype(np.int64),
        int(frame.spacing.total_seconds()),
        frame.assets,
        frame.closes,
    )
