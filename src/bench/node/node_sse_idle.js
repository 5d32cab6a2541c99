// Idle Server-Sent Events streams for the memory phase of fanout.sh: N streams open /events?topic=TOPIC and stay
// open, reading (and dropping) whatever comes; prints one JSON line once all have their `subscribed` event, then
// holds them SECONDS. usage: node node_sse_idle.js http://HOST:PORT TOPIC N SECONDS
const http = require('http');
const [base, topic, nStr, secsStr] = process.argv.slice(2);
const n = parseInt(nStr, 10), secs = parseInt(secsStr, 10);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let subscribed = 0, failed = 0, i = 0;
function open() {
  const req = http.get(base + '/events?topic=' + encodeURIComponent(topic), { agent }, (res) => {
    if (res.statusCode !== 200) { failed++; res.resume(); return; }
    let seen = false;
    res.on('data', (chunk) => { if (!seen && chunk.toString().includes('event: subscribed')) { seen = true; subscribed++; } });
  });
  req.on('error', () => failed++);
}
const opener = setInterval(() => {
  for (let k = 0; k < 250 && i < n; k++, i++) open();
  if (i >= n) clearInterval(opener);
}, 20);
const t0 = Date.now();
const ready = setInterval(() => {
  if (subscribed + failed >= n || Date.now() - t0 > 120000) {
    clearInterval(ready);
    process.stdout.write(JSON.stringify({ event: 'ready', subscribed, failed }) + '\n');
    setTimeout(() => process.exit(0), secs * 1000);
  }
}, 200);
