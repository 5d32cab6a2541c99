// Copied unchanged from the team's reference tools (/work/shared/bench, written for Tidegate's issue 13).
// Reference servers for the fan-out comparison, speaking the subset of Tidegate's /ws protocol that
// fanout.js uses (subscribe -> subscribed, then {"type":"record",...} frames).
//   node peer_bridge.js kafka PORT BOOTSTRAP TOPIC   what a user would write instead: kafkajs + ws,
//                                                    one consumer, each record encoded once, sent to all
//   node peer_bridge.js bare PORT RATE               the limit: no Kafka, pre-encoded frames at RATE/s
const WebSocket = require('ws');
const [mode, portStr, a, b] = process.argv.slice(2);
const wss = new WebSocket.Server({ port: parseInt(portStr, 10), perMessageDeflate: false });
const subs = new Set();
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'subscribe') { subs.add(ws); ws.send(JSON.stringify({ type: 'subscribed', id: m.id })); }
  });
  ws.on('close', () => subs.delete(ws));
});
function broadcast(frame) { for (const ws of subs) ws.send(frame); }
if (mode === 'bare') {
  const rate = parseInt(a, 10);
  const pad = 'n'.repeat(120);
  let offset = 0;
  const tickMs = 10, perTick = rate * tickMs / 1000;
  let carry = 0;
  setInterval(() => {
    carry += perTick;
    while (carry >= 1) {
      carry -= 1;
      const o = offset++;
      broadcast(JSON.stringify({ type: 'record', topic: 't', partition: o % 6, offset: Math.floor(o / 6),
        timestamp: Date.now(), key: null, headers: {}, value: { id: o, type: 'notification', user: 'user-000001', pad } }));
    }
  }, tickMs);
  console.log('ready');
} else {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ brokers: [a], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'peer-' + Date.now(), maxWaitTimeInMs: 50 });
  (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: b, fromBeginning: false });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers = {};
          for (const [k, v] of Object.entries(m.headers || {})) headers[k] = v.toString();
          const text = m.value.toString();
          let value; try { value = JSON.parse(text); } catch (e) { value = undefined; }
          broadcast(JSON.stringify({ type: 'record', topic: batch.topic, partition: batch.partition,
            offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key ? m.key.toString() : null,
            headers, ...(value === undefined ? { text } : { value }) }));
        }
      },
    });
    console.log('ready');
  })();
}
