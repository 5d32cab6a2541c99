"""Tail topics over WebSocket and resume after a dropped connection with nothing lost.

    python3 subscribe.py orders [payments ...]     (needs: pip install websockets, or apt install python3-websockets)
"""
import asyncio, json, os, sys
import websockets

URL = os.environ.get("TIDEGATE_WS", "ws://localhost:8080/ws")


async def main(topics):
    nxt = {}  # topic -> {partition: next offset}: the client's whole position
    while True:
        try:
            async with websockets.connect(URL) as ws:
                start = {"offsets": nxt} if nxt else "latest"
                await ws.send(json.dumps({"type": "subscribe", "id": "s", "topics": topics, "from": start}))
                async for frame in ws:
                    msg = json.loads(frame)
                    if msg["type"] == "record":
                        nxt.setdefault(msg["topic"], {})[str(msg["partition"])] = msg["offset"] + 1
                        print(msg["topic"], msg["partition"], msg["offset"], msg.get("key"), msg.get("value", msg.get("text")))
                    elif msg["type"] == "error":
                        print("error:", msg, file=sys.stderr)
                        if "resume" in msg:  # closed as too slow: these are the offsets to come back from
                            nxt = msg["resume"]
        except (OSError, websockets.ConnectionClosed) as e:
            print("disconnected:", e, "- reconnecting", file=sys.stderr)
            await asyncio.sleep(1)


asyncio.run(main(sys.argv[1:] or ["orders"]))
