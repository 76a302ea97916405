#!/usr/bin/env python3
"""A TCP relay that delays every byte by a fixed time in each direction.

Stands in for `tc qdisc ... netem delay D` on kernels built without sch_netem: the multi-host
scripts run one relay in each worker's namespace, between the worker and the router's address,
so every router-worker byte crosses the emulated link once each way (round trip 2 x D, as with
netem on each host's link). Order is kept: a chunk read at time t is written at t + D, after
every chunk read before it. Rate limits stay in the kernel (tbf on the veth).

Usage: delay_relay.py --listen HOST:PORT --connect HOST:PORT --delay-ms D
Prints "relay ready" on stdout once it listens; exits on SIGTERM/SIGINT.
"""
import argparse
import collections
import signal
import socket
import sys
import threading
import time

CHUNK = 1 << 20


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


class DelayedPipe:
    """One direction of a connection: a reader thread stamps chunks, a writer sends them when due."""

    def __init__(self, source, destination, delay, on_done):
        self.source = source
        self.destination = destination
        self.delay = delay
        self.on_done = on_done
        self.queue = collections.deque()
        self.ready = threading.Condition()

    def start(self):
        threading.Thread(target=self.read, daemon=True).start()
        threading.Thread(target=self.write, daemon=True).start()

    def read(self):
        while True:
            try:
                data = self.source.recv(CHUNK)
            except OSError:
                data = b""
            with self.ready:
                self.queue.append((time.monotonic() + self.delay, data))
                self.ready.notify()
            if not data:
                return

    def write(self):
        try:
            while True:
                with self.ready:
                    while not self.queue:
                        self.ready.wait()
                    due, data = self.queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    self.destination.shutdown(socket.SHUT_WR)
                    return
                self.destination.sendall(data)
        except OSError:
            pass
        finally:
            self.on_done()


def relay(client, upstream_address, delay):
    try:
        upstream = socket.create_connection(upstream_address, timeout=10)
    except OSError as error:
        print(f"relay: cannot reach {upstream_address[0]}:{upstream_address[1]}: {error}", file=sys.stderr, flush=True)
        client.close()
        return
    upstream.settimeout(None)
    for sock in (client, upstream):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    remaining = [2]
    lock = threading.Lock()

    def done():
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            client.close()
            upstream.close()

    DelayedPipe(client, upstream, delay, done).start()
    DelayedPipe(upstream, client, delay, done).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=endpoint, required=True)
    parser.add_argument("--connect", type=endpoint, required=True)
    parser.add_argument("--delay-ms", type=float, required=True)
    args = parser.parse_args()
    if args.delay_ms < 0:
        parser.error("--delay-ms must be >= 0")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(args.listen)
    except OSError as error:
        print(f"relay: cannot listen on {args.listen[0]}:{args.listen[1]}: {error}", file=sys.stderr)
        return 1
    server.listen(16)
    print("relay ready", flush=True)
    try:
        while True:
            client, _ = server.accept()
            relay(client, args.connect, args.delay_ms / 1000)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
