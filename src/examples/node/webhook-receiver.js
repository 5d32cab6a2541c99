// A Tidegate webhook receiver that checks each request's signature (Standard Webhooks, HMAC-SHA256).
//
//   WEBHOOK_SECRET=whsec_... node src/examples/node/webhook-receiver.js 9000
//
// Delivery is at least once: a record may arrive again; its webhook-id (<topic>-<partition>-<offset>) stays
// the same, so use it as the idempotency key. Only Node's own modules are used.
const http = require('node:http');
const crypto = require('node:crypto');

const secret = process.env.WEBHOOK_SECRET;
// "whsec_<base64>" is the key those bytes decode to; any other secret is its UTF-8 bytes
const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
const TOLERANCE_SECONDS = 300;
const seen = new Set(); // webhook-ids already handled (bounded below; use your database in real life)

function verified(headers, body) {
  const id = headers['webhook-id'], ts = headers['webhook-timestamp'], sigs = headers['webhook-signature'];
  if (!id || !/^\d+$/.test(ts || '') || !sigs || Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_SECONDS) {
    return false;
  }
  const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest();
  // several signatures may be sent, separated by spaces (key rotation): any one may match
  return sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const given = Buffer.from(s.slice(3), 'base64');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.method !== 'POST' || !verified(req.headers, body)) {
      res.writeHead(401).end();
      return;
    }
    const id = req.headers['webhook-id'];
    if (!seen.has(id)) {
      const record = JSON.parse(body);
      console.log(`${id}: key=${record.key} value=${JSON.stringify(record.value ?? record.text)}`);
      seen.add(id);
      if (seen.size > 100000) seen.delete(seen.values().next().value);
    }
    res.writeHead(204).end(); // any 2xx is delivered
  });
}).listen(Number(process.argv[2] || 9000), '127.0.0.1', () => console.log('listening'));
