// Copied from the team's reference tools (/work/shared/bench, written for Tidegate's issue 13); changed here
// only to count lost records (a gap in a partition's offsets on one connection), and to wait up to 20 ms per
// socket (not 60 s whatever N) for all to subscribe, as connecting 10,000 takes longer on a busy machine.
// Fan-out load client: N WebSocket connections subscribe to one topic; counts records and measures
// latency from the record's Kafka timestamp to receipt. Prints one JSON line at the end.
// usage: node fanout.js ws://127.0.0.1:8080/ws TOPIC N SECONDS
const WebSocket = require('ws');
const [url, topic, nStr, secsStr] = process.argv.slice(2);
const n = parseInt(nStr, 10), secs = parseInt(secsStr, 10);
let open = 0, subscribed = 0, received = 0, closedEarly = 0, errors = 0;
const lat = [];
const perConn = new Array(n).fill(0);
const lastOffset = new Array(n).fill(null).map(() => ({}));
let disorder = 0, dup = 0, lost = 0;
let measuring = false;

function connect(i) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('open', () => { open++; ws.send(JSON.stringify({ type: 'subscribe', id: 's' + i, topics: [topic], from: 'latest' })); });
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'subscribed') { subscribed++; return; }
    if (m.type !== 'record') return;
    const last = lastOffset[i][m.partition];
    if (last !== undefined) { if (m.offset === last) dup++; else if (m.offset < last) disorder++; else if (m.offset > last + 1) lost += m.offset - last - 1; }
    lastOffset[i][m.partition] = m.offset;
    if (!measuring) return;
    received++; perConn[i]++;
    if ((received & 15) === 0) lat.push(Date.now() - m.timestamp);
  });
  ws.on('close', () => { if (!done) closedEarly++; });
  ws.on('error', () => { errors++; });
  return ws;
}

let done = false;
const socks = [];
let i = 0;
const opener = setInterval(() => {
  for (let k = 0; k < 250 && i < n; k++, i++) socks.push(connect(i));
  if (i >= n) clearInterval(opener);
}, 20);

const waitStart = Date.now();
const ready = setInterval(() => {
  if (subscribed >= n || Date.now() - waitStart > Math.max(60000, n * 20)) {
    clearInterval(ready);
    process.stdout.write(JSON.stringify({ event: 'ready', subscribed }) + '\n');
    measuring = true;
    const t0 = Date.now();
    setTimeout(() => {
      done = true;
      const elapsed = (Date.now() - t0) / 1000;
      lat.sort((a, b) => a - b);
      const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null;
      const counts = perConn.slice().sort((a, b) => a - b);
      process.stdout.write(JSON.stringify({
        event: 'result', connections: n, open, subscribed, closedEarly, errors,
        delivered_per_s: received / elapsed, p50_ms: q(0.5), p99_ms: q(0.99), p999_ms: q(0.999),
        min_per_conn: counts[0], max_per_conn: counts[counts.length - 1], duplicates: dup, disorder, lost,
      }) + '\n');
      for (const s of socks) s.terminate();
      process.exit(0);
    }, secs * 1000);
  }
}, 200);
