"""ReplayServer: streams a frame or a file in ml4t's live protocol, to run live code against."""

from __future__ import annotations

from typing import Any, Sequence

from . import _core
from .feed import HistoricalDataFeed


class ReplayServer:
    """What ``ml4t replay`` runs, in-process: a WebSocket server on ``bind:port`` (port 0 picks a
    free one; see :attr:`url`) that streams the bars of ``data`` (a frame, a file or a
    :class:`HistoricalDataFeed`) to every client that connects, then ends the stream.

    ``rate``: bars per second per client (default: as fast as the client reads).
    ``stop_after_bars``: outage drill, the whole server stops abruptly after that many bars.
    ``signal_columns``: the signals streamed with each bar (default: every other numeric column).
    Use it as a context manager, or call :meth:`stop`::

        with ReplayServer(df, rate=100) as server:
            results = Engine(LiveDataFeed(server.url, signal_computer=model), strategy).run()
    """

    def __init__(
        self,
        data: Any,
        rate: float | None = None,
        port: int = 0,
        bind: str = "127.0.0.1",
        stop_after_bars: int | None = None,
        signal_columns: Sequence[str] | None = None,
    ) -> None:
        if isinstance(data, HistoricalDataFeed):
            if signal_columns is not None:
                raise ValueError("signal_columns applies to a frame or a file; the feed has its signals already")
            feed = data
        else:
            feed = HistoricalDataFeed(data, signal_columns=signal_columns)
        self._server = _core.ReplayServer(feed._data, rate, int(port), bind, stop_after_bars)

    @property
    def url(self) -> str:
        """``ws://ADDR:PORT``: what :class:`LiveDataFeed` connects to."""
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def is_stopped(self) -> bool:
        return self._server.is_stopped

    def stop(self) -> None:
        """Stops the server and closes every connection."""
        self._server.stop()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ReplayServer({self.url}{', stopped' if self.is_stopped else ''})"
