"""HTTP/1.1 keep-alive server for the live tests: GET /ok/* -> 200, POST /post/* -> 201 with the
body's length, anything else -> 404. Usage: python3 http_server.py <port>"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/ok/"):
            self.reply(200, "ok\n")
        else:
            self.reply(404, "not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        if self.path.startswith("/post/"):
            self.reply(201, "got %d bytes\n" % len(data))
        else:
            self.reply(404, "not found\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
