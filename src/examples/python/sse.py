"""Read Server-Sent Events with the standard library only, resuming with Last-Event-ID after a drop.

    python3 sse.py orders [payments ...]
"""
import json, os, sys, time, urllib.parse, urllib.request

BASE = os.environ.get("TIDEGATE_URL", "http://localhost:8080")


def stream(topics, last_id):
    query = urllib.parse.urlencode([("topic", t) for t in topics] + [("from", "earliest")])
    headers = {"Accept": "text/event-stream"}
    if last_id:
        headers["Last-Event-ID"] = last_id  # the cursor wins over from=: resume right after it
    with urllib.request.urlopen(urllib.request.Request(f"{BASE}/events?{query}", headers=headers), timeout=60) as r:
        event, data, eid = "message", [], None
        for raw in r:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":  # a blank line ends an event
                if data:
                    yield event, "\n".join(data), eid
                event, data = "message", []
            elif line.startswith(":"):
                pass  # heartbeat
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    eid = value


last_id = None
while True:
    try:
        for event, data, eid in stream(sys.argv[1:] or ["orders"], last_id):
            last_id = eid or last_id
            if event == "record":
                r = json.loads(data)
                print(r["topic"], r["partition"], r["offset"], r.get("key"), r.get("value", r.get("text")))
    except OSError as e:
        print("disconnected:", e, "- resuming after", last_id, file=sys.stderr)
        time.sleep(1)
