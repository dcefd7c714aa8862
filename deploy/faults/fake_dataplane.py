#!/usr/bin/env python3
"""A dataplane API for the fault scripts: PUT/DELETE /workspaces/{id} with an Idempotency-Key.

Each request waits DELAY seconds (so runs are in flight when the service is killed), is appended to the call log
as "METHOD workspace-id key", and answers 200. A repeated key is answered 200 again without a new effect, as a
well-made dataplane does; the scripts count effects as distinct (method, key) pairs per workspace.
"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]
DELAY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        key = self.headers.get("Idempotency-Key")
        if len(parts) != 2 or parts[0] != "workspaces" or not key:
            self.send_response(400)
            self.end_headers()
            return
        time.sleep(DELAY)
        with LOCK, open(LOG, "a") as f:
            f.write(f"{self.command} {parts[1]} {key}\n")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller was killed mid-call: the point of the exercise

    do_PUT = _answer
    do_DELETE = _answer

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the service calls for many runs at once


Server(("127.0.0.1", PORT), Handler).serve_forever()
