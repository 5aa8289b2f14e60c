#!/usr/bin/env python3
"""A link-shaping TCP proxy in front of a server on 127.0.0.1 (stdlib only).

    shaper.py --target http://127.0.0.1:PORT/ [--rtt-ms 30] [--down-mbit 50] [--up-mbit 10]
              [--burst-kb 16] [--no-handshake] [--port P] [--exit-on-stdin-eof]

Listens on 127.0.0.1 (a free port unless --port), prints one line
`shaper: listening on http://127.0.0.1:PORT/PATH` on stdout (PATH is the target's path), and
forwards bytes both ways, unchanged, as a slow link would carry them:

- Delay: every chunk of bytes read on one side is written to the other side half a round
  trip later (15 ms each way by default). Chunks are delayed in a pipeline, not one after the
  other, so a response of many segments costs one delay plus its transfer time, like a real
  path; a request and its answer cost one round trip.
- Bandwidth: a token bucket per direction, shared by all connections (one link: parallel
  connections share it), 50 Mbit/s down (server to client) and 10 Mbit/s up by default, with
  a bucket of --burst-kb (16 KiB). Bytes leave the bucket first, then travel the delay.
- Connection setup: a new connection's first bytes to the server are held one extra round trip
  (the TCP handshake a real link would cost before the client can send), unless
  --no-handshake. TLS is not modelled (the servers here are plain http).

Because it forwards bytes and does not parse HTTP, keep-alive, pipelining, chunked bodies and
gzip pass through as they are; each connection to the proxy is one connection to the target.
Hrefs and Location headers that name the target's own origin are not rewritten (Radicale and
Xandikos answer with paths).

It stops on SIGTERM/SIGINT, and with --exit-on-stdin-eof when its standard input reaches end
of file (so a benchmark that holds the pipe cannot leave it behind). On exit it prints one
line of totals to stderr: connections, bytes up and down.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

CHUNK = 16 * 1024  # largest read; also the largest piece the bucket releases at once


class Bucket:
    """A token bucket: `rate` bytes per second, at most `depth` bytes saved up.

    `take(n)` returns once n bytes may leave. Tokens may go below zero (a chunk larger than
    what is saved up waits for the debt to be paid), so callers are served in order and the
    long-run rate is exact. Single-threaded (asyncio), so no lock is needed.
    """

    def __init__(self, bits_per_second, depth):
        self.rate = bits_per_second / 8.0
        self.depth = float(depth)
        self.tokens = float(depth)
        self.stamp = time.monotonic()

    async def take(self, n):
        if self.rate <= 0:
            return
        now = time.monotonic()
        self.tokens = min(self.depth, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= n
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)


class Stats:
    def __init__(self):
        self.connections = 0
        self.up = 0
        self.down = 0


async def pump(reader, writer, bucket, delay, not_before, count):
    """Copies reader to writer through the bucket and the delay; EOF is passed on, delayed.

    Reading, pacing and writing are decoupled: a reader task paces each chunk through the
    bucket and queues it with its delivery time; a writer task writes it at that time. So
    many chunks can be "in flight" at once, as on a real path.
    """
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                await bucket.take(len(data))
                at = max(loop.time(), not_before) + delay
                count(len(data))
                queue.put_nowait((at, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((max(loop.time(), not_before) + delay, None))

    async def write_side():
        try:
            while True:
                at, data = await queue.get()
                wait = at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    reading = asyncio.ensure_future(read_side())
    try:
        await write_side()
    finally:
        reading.cancel()
        try:
            await reading
        except asyncio.CancelledError:
            pass


class Shaper:
    def __init__(self, args):
        t = urlsplit(args.target)
        self.host = t.hostname or "127.0.0.1"
        self.port = t.port or 80
        self.path = t.path or "/"
        self.delay = args.rtt_ms / 2000.0
        self.handshake = 0.0 if args.no_handshake else args.rtt_ms / 1000.0
        depth = args.burst_kb * 1024
        self.up = Bucket(args.up_mbit * 1e6, depth)
        self.down = Bucket(args.down_mbit * 1e6, depth)
        self.stats = Stats()

    async def handle(self, client_r, client_w):
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        self.stats.connections += 1
        try:
            server_r, server_w = await asyncio.open_connection(self.host, self.port)
        except OSError:
            client_w.close()
            return
        for w in (client_w, server_w):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def count_up(n):
            self.stats.up += n

        def count_down(n):
            self.stats.down += n

        # The client's first bytes would have left one round trip after its SYN.
        up = pump(client_r, server_w, self.up, self.delay, accepted + self.handshake, count_up)
        down = pump(server_r, client_w, self.down, self.delay, 0.0, count_down)
        try:
            await asyncio.gather(up, down)
        except asyncio.CancelledError:
            # Stopping with connections open: end quietly (a task that ends cancelled makes
            # asyncio's stream callback log a traceback).
            pass
        finally:
            for w in (client_w, server_w):
                try:
                    w.close()
                except OSError:
                    pass


async def serve(args):
    shaper = Shaper(args)
    server = await asyncio.start_server(shaper.handle, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        # A thread, not loop.add_reader: epoll refuses regular files and /dev/null.
        def watch_stdin():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=watch_stdin, daemon=True).start()
    print("shaper: listening on http://127.0.0.1:%d%s" % (port, shaper.path), flush=True)
    await stop.wait()
    s = shaper.stats
    print("shaper: %d connections, %d bytes up, %d bytes down" % (s.connections, s.up, s.down),
          file=sys.stderr, flush=True)
    # Not wait_closed(): from Python 3.12 on it waits for open connections to end.
    server.close()


def main(argv=None):
    p = argparse.ArgumentParser(description="Link-shaping TCP proxy (delay + bandwidth).")
    p.add_argument("--target", required=True, help="the server, e.g. http://127.0.0.1:5232/")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument("--rtt-ms", type=float, default=30.0,
                   help="round-trip time added, half each way (default 30)")
    p.add_argument("--down-mbit", type=float, default=50.0,
                   help="server-to-client bandwidth in Mbit/s (default 50; 0 = unlimited)")
    p.add_argument("--up-mbit", type=float, default=10.0,
                   help="client-to-server bandwidth in Mbit/s (default 10; 0 = unlimited)")
    p.add_argument("--burst-kb", type=float, default=16.0,
                   help="token bucket depth in KiB per direction (default 16)")
    p.add_argument("--no-handshake", action="store_true",
                   help="do not charge a round trip for each new connection")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when standard input is closed (for callers holding the pipe)")
    args = p.parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
