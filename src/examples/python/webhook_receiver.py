#!/usr/bin/env python3
"""A Tidegate webhook receiver that checks each request's signature (Standard Webhooks, HMAC-SHA256).

    WEBHOOK_SECRET=whsec_... python3 src/examples/python/webhook_receiver.py 9000

then define the webhook with the same secret:

    curl -X POST localhost:8080/webhooks -H 'Content-Type: application/json' \
      -d '{"name":"orders-to-py","topics":["orders"],"url":"http://localhost:9000/hook","secret":"whsec_..."}'

Delivery is at least once: a record may arrive again (after a timeout, or when a gateway dies). Its
webhook-id (<topic>-<partition>-<offset>) stays the same, so use it as the idempotency key.
Only the standard library is used.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["WEBHOOK_SECRET"]
# "whsec_<base64>" is the key those bytes decode to; any other secret is its UTF-8 bytes
KEY = base64.b64decode(SECRET[len("whsec_"):]) if SECRET.startswith("whsec_") else SECRET.encode()
TOLERANCE_SECONDS = 300          # refuse replays of old requests
SEEN = OrderedDict()             # webhook-ids already handled (a bounded memory; use your database in real life)
SEEN_MAX = 100_000


def verified(headers, body: bytes) -> bool:
    msg_id, ts, sigs = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (msg_id and ts and sigs) or not ts.isdigit() or abs(time.time() - int(ts)) > TOLERANCE_SECONDS:
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # the header may carry several signatures separated by spaces (key rotation): any one may match
    return any(hmac.compare_digest(s.split(",", 1)[1], expected) for s in sigs.split() if s.startswith("v1,"))


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            return
        msg_id = self.headers["webhook-id"]
        if msg_id not in SEEN:
            record = json.loads(body)
            print(f"{msg_id}: key={record['key']} value={record.get('value', record.get('text'))}", flush=True)
            SEEN[msg_id] = True
            if len(SEEN) > SEEN_MAX:
                SEEN.popitem(last=False)
        self.send_response(204)  # any 2xx is delivered; 429/503 with Retry-After asks the gateway to wait
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    print(f"listening on http://localhost:{port}/hook", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()
