"""A real HTTP server on a loopback address (a free port, in a thread) that records every
connection and request it receives, for the egress, outbox and propagation tests.

``with Receiver() as server:`` then ``server.url("/x")``; ``server.answers = [500, 200]``
answers one status per request (then 200); ``server.redirects["/a"] = (302, "/b")`` answers a
path with a redirect; ``server.received`` lists what arrived and ``server.connections`` counts
every connection opened, even one that sent nothing.
"""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict:
        return json.loads(self.raw)


class Receiver:
    def __init__(self, host: str = "127.0.0.1"):
        self.host, self.connections = host, 0
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.redirects: dict[str, tuple[int, str]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                    raw))
                status, location = receiver.redirects.get(self.path, (None, ""))
                if status is None:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def process_request(self, request, client_address):
                receiver.connections += 1
                super().process_request(request, client_address)

        self.server = Server((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.server.server_port}{path}"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
