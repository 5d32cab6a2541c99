"""A consumer-group worker over WebSocket: Kafka shares the topic's partitions among all workers of the
group (on any gateway); each record is committed once processed, so a worker that dies loses nothing.

    python3 worker.py billing orders
"""
import asyncio, json, os, sys
import websockets

URL = os.environ.get("TIDEGATE_WS", "ws://localhost:8080/ws")


def process(record):
    print("processing", record["partition"], record["offset"], record.get("value"))


async def main(group, topics):
    while True:
        try:
            async with websockets.connect(URL) as ws:
                await ws.send(json.dumps({"type": "subscribe", "id": "join", "topics": topics,
                                          "group": group, "from": "earliest"}))
                async for frame in ws:
                    msg = json.loads(frame)
                    if msg["type"] == "record":
                        process(msg)
                        await ws.send(json.dumps({"type": "commit", "id": f'{msg["partition"]}@{msg["offset"]}',
                                                  "topic": msg["topic"], "partition": msg["partition"],
                                                  "offset": msg["offset"]}))
                    elif msg["type"] in ("subscribed", "assigned", "revoked", "error"):
                        print(msg, file=sys.stderr)
        except (OSError, websockets.ConnectionClosed) as e:
            print("disconnected:", e, "- rejoining", file=sys.stderr)
            await asyncio.sleep(1)


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "billing", sys.argv[2:] or ["orders"]))
