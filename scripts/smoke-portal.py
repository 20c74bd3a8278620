#!/usr/bin/env python3
"""A stand-in Bitrix24 portal for scripts/smoke-static, on loopback only.

Answers every /rest/ path (GET or POST) with the bytes of BODY_FILE as a v2 JSON answer,
anything else with 404. Binds 127.0.0.1 on a free port and prints that port as its first
line on stdout, so the caller needs no fixed port.

    smoke-portal.py BODY_FILE
"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        body = f.read()

    class Portal(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith("/rest/"):
                status, payload = 200, body
            else:
                status, payload = 404, b'{"error":"NOT_FOUND"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = answer
        do_POST = answer

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write("smoke-portal: " + (format % args) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
