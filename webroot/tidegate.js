// tidegate.js: a browser client for the Tidegate gateway's WebSocket /ws (an ES module, no build step).
//
//   import { TidegateClient } from '/tidegate.js';
//   const client = new TidegateClient();                  // ws(s)://<this host>/ws
//   await client.subscribe(['orders'], record => console.log(record), { from: 'latest' });
//   const ack = await client.publish('orders', { key: 'u1', value: { id: 7 } });   // {partition, offset, ...}
//
// The client reconnects by itself (exponential backoff with jitter) and resubscribes every subscription from
// the offsets after the last records it delivered, so a dropped connection loses nothing and repeats nothing.
//
// `record.value` is parsed by JSON.parse, so its numbers are JavaScript's: 12345678901234567890 becomes
// 12345678901234567000 and 1.10 becomes 1.1. valueJson(record) gives the value's text with every digit.

/** An error answered by the gateway (an `error` frame) or raised by the client; `status` as in HTTP. */
export class TidegateError extends Error {
  constructor(status, title, detail, frame) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'TidegateError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.frame = frame;
  }
}

const DEFAULTS = {
  reconnect: { initialMs: 500, maxMs: 15000, factor: 2 },
  pingIntervalMs: 15000,
  pongTimeoutMs: 10000,
  publishTimeoutMs: 15000,
  /** A socket that stays open this long resets the backoff. */
  stableAfterMs: 5000,
};

function defaultUrl() {
  const u = new URL('/ws', globalThis.location ? globalThis.location.href : 'http://localhost:8080/');
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

function isSpace(c) {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

function skipSpace(text, i) {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

/** The index just after the JSON string whose opening quote is at i. */
function stringEnd(text, i) {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return text.length;
}

/** The index just after the JSON value that starts at i. */
function valueEnd(text, i) {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '"') {
      j = stringEnd(text, j) - 1;
      if (depth === 0) return j + 1;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) return j;
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && (c === ',' || isSpace(c))) {
      return j;
    }
  }
  return text.length;
}

/**
 * The text of the member `name` of the JSON object written in `text` (valid JSON), exactly as it is written
 * there; undefined if the object has no such member. Only the object's own members count, not nested ones.
 */
function memberText(text, name) {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  while (text[i] === '"') {
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i, keyEnd);
    const key = raw.includes('\\') ? JSON.parse(raw) : raw.slice(1, -1);
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the ':'
    const end = valueEnd(text, start);
    if (key === name) return text.slice(start, end);
    i = skipSpace(text, end);
    if (text[i] !== ',') return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** Where a record keeps the text of the frame it came in, for valueJson(). */
const FRAME_TEXT = Symbol('tidegate.frameText');

/**
 * The JSON text of a record's value exactly as the gateway sent it, which is the producer's own bytes; undefined
 * for a record without a JSON value (text, binary, a tombstone). record.value is this text parsed by JSON.parse,
 * whose numbers are JavaScript's: 12345678901234567890 becomes 12345678901234567000 and 1.10 becomes 1.1.
 */
export function valueJson(record) {
  if (record == null || record.value == null) return undefined;
  const frame = record[FRAME_TEXT];
  return frame === undefined ? JSON.stringify(record.value) : memberText(frame, 'value');
}

function httpBaseOf(wsUrl) {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = u.pathname.replace(/\/ws\/?$/, '/');
  u.search = '';
  return u.toString().replace(/\/$/, '');
}

/**
 * One subscription to one or more topics. It keeps, per topic and partition, the next offset it owes its
 * callback; after a reconnect it subscribes from exactly there.
 */
export class Subscription {
  constructor(client, id, topics, onRecord, options) {
    this.client = client;
    this.id = id;
    this.topics = topics;
    this.onRecord = onRecord;
    this.from = options.from ?? 'latest';
    this.filter = options.filter;
    this.onError = options.onError;
    /** {topic: {partition: nextOffset}}: where delivery resumes after a reconnect. */
    this.positions = Object.fromEntries(topics.map(t => [t, {}]));
    this.active = true;
    this.paused = false;
    /** Records skipped because they were already delivered (none, unless a gateway repeats itself). */
    this.duplicates = 0;
    this.delivered = 0;
    this.everSubscribed = false;
    /** Where this subscription stands on the current socket: none, subscribing, subscribed, unsubscribing. */
    this.wire = 'none';
    this.ready = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this.ready.catch(() => {});
  }

  get wanted() {
    return this.active && !this.paused;
  }

  /** Stops delivery without losing the place: resume() continues from the next undelivered offset. */
  pause() {
    this.paused = true;
    this.client._sync(this);
  }

  resume() {
    this.paused = false;
    this.client._sync(this);
  }

  /** Ends the subscription for good. */
  unsubscribe() {
    this.active = false;
    this.client._sync(this);
  }

  /** The subscribe frame for the current socket: the original `from` the first time, then the offsets. */
  _frame() {
    const frame = { type: 'subscribe', id: this.id, topics: this.topics };
    if (this.filter) frame.filter = this.filter;
    if (!this.everSubscribed) {
      frame.from = this.from;
      return frame;
    }
    const offsets = {};
    for (const t of this.topics) offsets[t] = { ...this.positions[t] };
    frame.from = { offsets };
    return frame;
  }

  _deliver(r) {
    const byPartition = this.positions[r.topic];
    const next = byPartition[r.partition];
    if (next !== undefined && r.offset < next) {
      this.duplicates++;
      return;
    }
    byPartition[r.partition] = r.offset + 1;
    this.delivered++;
    try {
      this.onRecord(r, this);
    } catch (e) {
      console.error('tidegate: a record callback threw', e);
    }
  }
}

/**
 * A connection to a Tidegate gateway. Events (EventTarget): `state` (detail: {state, attempt, delayMs}),
 * `error` (detail: TidegateError), `reset` (detail: the gateway's reset frame).
 */
export class TidegateClient extends EventTarget {
  constructor(options = {}) {
    super();
    this.url = options.url ?? defaultUrl();
    this.httpBase = options.httpBase ?? httpBaseOf(this.url);
    this.options = { ...DEFAULTS, ...options, reconnect: { ...DEFAULTS.reconnect, ...(options.reconnect ?? {}) } };
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this._fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.state = 'idle';
    this.attempt = 0;
    this.reconnects = 0;
    this._ws = null;
    this._seq = 0;
    this._subs = new Map();
    this._pending = new Map();
    this._outbox = [];
    this._closedByUser = false;
    this._openWaiters = [];
    if (globalThis.addEventListener) {
      globalThis.addEventListener('online', () => {
        if (this.state === 'reconnecting') this._connectNow();
      });
    }
  }

  /** The WebSocket in use, or null between connections. */
  get socket() {
    return this._ws;
  }

  /** Opens the connection (also done by subscribe and publish); resolves once it is open. */
  connect() {
    this._closedByUser = false;
    if (this.state === 'open') return Promise.resolve();
    const p = new Promise(resolve => this._openWaiters.push(resolve));
    if (this.state === 'idle' || this.state === 'closed') this._open();
    return p;
  }

  /** Closes the connection and stops reconnecting; pending publishes are rejected. */
  close() {
    this._closedByUser = true;
    clearTimeout(this._retryTimer);
    const ws = this._ws;
    if (ws) {
      ws.close(1000, 'client closed');
      this._closed(ws, 1000, 'client closed');
    }
    for (const [id, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(new TidegateError(0, 'Closed', 'the client was closed before the gateway answered'));
      this._pending.delete(id);
    }
    this._outbox = [];
    if (this.state !== 'closed') this._setState('closed');
  }

  /**
   * Subscribes to `topics` (a name or an array). `onRecord(record, subscription)` is called once per record,
   * in offset order per partition. Options: `from` ('latest', 'earliest', {timestamp: ms},
   * {offsets: {topic: {partition: nextOffset}}}), `filter` ({key, headers}), `onError(err)` for failures after
   * the first subscribe. Resolves with the Subscription once the gateway answered `subscribed`.
   */
  async subscribe(topics, onRecord, options = {}) {
    topics = Array.isArray(topics) ? [...new Set(topics)] : [topics];
    if (topics.length === 0) throw new TidegateError(400, 'Bad request', 'no topic to subscribe to');
    for (const s of this._subs.values()) {
      // an ended subscription gives its topics up: a new one to them goes on the wire once it has left
      if (!s.active) continue;
      const clash = s.topics.find(t => topics.includes(t));
      if (clash) throw new TidegateError(409, 'Conflict', `already subscribed to '${clash}'`);
    }
    const sub = new Subscription(this, this._id('s'), topics, onRecord, options);
    this._subs.set(sub.id, sub);
    try {
      await this._startPositions(sub);
    } catch (e) {
      this._subs.delete(sub.id);
      throw e;
    }
    if (!sub.active) return sub;
    this.connect();
    this._sync(sub);
    await sub.ready;
    return sub;
  }

  /**
   * Publishes one record ({key, value | text | binary, headers, partition, timestamp}); resolves with the
   * gateway's ack {topic, partition, offset, timestamp} once Kafka acknowledged it, rejects with a
   * TidegateError. A record that was sent when the connection dropped is rejected (status 0): it may or may
   * not have been written. One that was not sent yet waits for the reconnect (up to publishTimeoutMs).
   */
  publish(topic, record = {}) {
    const id = this._id('p');
    const frame = { ...record, type: 'publish', id, topic };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        this._outbox = this._outbox.filter(x => x !== id);
        reject(new TidegateError(504, 'Timeout', `no acknowledgement within ${this.options.publishTimeoutMs} ms`));
      }, this.options.publishTimeoutMs);
      this._pending.set(id, { resolve, reject, timer, frame, sent: false });
      if (this.state === 'open') {
        this._sendPending(id);
      } else {
        this._outbox.push(id);
        this.connect();
      }
    });
  }

  // ---- internals ----

  _id(prefix) {
    this._seq += 1;
    return prefix + this._seq;
  }

  _setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, attempt: this.attempt, ...extra } }));
  }

  _open() {
    clearTimeout(this._retryTimer);
    this._setState(this.attempt === 0 && this.reconnects === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new this._WebSocket(this.url);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    ws.onopen = () => this._opened(ws);
    ws.onmessage = e => this._onMessage(ws, e.data);
    ws.onclose = e => this._closed(ws, e.code, e.reason);
    ws.onerror = () => {};
  }

  _opened(ws) {
    if (ws !== this._ws) return;
    this._lastFrameAt = Date.now();
    this._setState('open');
    this._stableTimer = setTimeout(() => {
      this.attempt = 0;
    }, this.options.stableAfterMs);
    this._heartbeat = setInterval(() => this._beat(ws), this.options.pingIntervalMs);
    for (const sub of this._subs.values()) this._sync(sub);
    const queued = this._outbox;
    this._outbox = [];
    queued.forEach(id => this._sendPending(id));
    this._openWaiters.splice(0).forEach(r => r());
  }

  _beat(ws) {
    if (ws !== this._ws) return;
    if (Date.now() - this._lastFrameAt > this.options.pingIntervalMs + this.options.pongTimeoutMs) {
      // nothing heard for too long: treat the connection as dead without waiting for TCP to notice
      try {
        ws.close(4000, 'no answer to ping');
      } catch (e) { /* already closing */ }
      this._closed(ws, 4000, 'no answer to ping');
      return;
    }
    this._send({ type: 'ping', id: this._id('h') });
  }

  _closed(ws, code, reason) {
    if (ws !== this._ws) return;
    this._ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    clearInterval(this._heartbeat);
    clearTimeout(this._stableTimer);
    for (const sub of this._subs.values()) {
      sub.wire = 'none';
      if (!sub.active) this._subs.delete(sub.id);
    }
    for (const [id, p] of this._pending) {
      if (p.sent) {
        clearTimeout(p.timer);
        this._pending.delete(id);
        p.reject(new TidegateError(0, 'Connection lost',
          'the connection dropped before the acknowledgement; the record may or may not have been written'));
      }
    }
    if (this._closedByUser) {
      this._setState('closed', { code, reason });
    } else {
      this._scheduleReconnect(code, reason);
    }
  }

  _scheduleReconnect(code, reason) {
    const r = this.options.reconnect;
    const ceiling = Math.min(r.maxMs, r.initialMs * Math.pow(r.factor, this.attempt));
    const delayMs = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // "equal jitter": never 0, spread out
    this.attempt += 1;
    this._setState('reconnecting', { delayMs, code, reason, at: Date.now() + delayMs });
    this._retryTimer = setTimeout(() => this._connectNow(), delayMs);
  }

  _connectNow() {
    if (this._ws || this._closedByUser) return;
    this.reconnects += 1;
    this._open();
  }

  _send(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  _sendPending(id) {
    const p = this._pending.get(id);
    if (!p) return;
    if (this._send(p.frame)) {
      p.sent = true;
    } else {
      this._outbox.push(id);
    }
  }

  /**
   * Brings a subscription's state on the current socket in line with what is wanted of it. A subscription
   * waits while an ended one to one of its topics is still on the socket: the gateway allows one subscription
   * per topic, and the records before that one's `unsubscribed` are still its own.
   */
  _sync(sub) {
    if (this.state !== 'open') {
      if (!sub.active && sub.wire === 'none') this._subs.delete(sub.id);
      return;
    }
    if (sub.wanted && sub.wire === 'none') {
      if (this._overlapping(sub).some(s => s.wire !== 'none')) return;
      if (this._send(sub._frame())) sub.wire = 'subscribing';
    } else if (!sub.wanted && sub.wire === 'subscribed') {
      if (this._send({ type: 'unsubscribe', id: sub.id, topics: sub.topics })) sub.wire = 'unsubscribing';
    } else if (!sub.active && sub.wire === 'none') {
      this._subs.delete(sub.id);
    }
  }

  /** The other subscriptions that share a topic with sub. */
  _overlapping(sub) {
    return [...this._subs.values()].filter(s => s !== sub && s.topics.some(t => sub.topics.includes(t)));
  }

  /** Once sub is off the socket, the subscriptions that waited for it go on. */
  _left(sub) {
    if (sub.wire === 'none') this._overlapping(sub).forEach(s => this._sync(s));
  }

  _subFor(topic) {
    for (const s of this._subs.values()) if (s.topics.includes(topic)) return s;
    return null;
  }

  _onMessage(ws, data) {
    if (ws !== this._ws) return;
    this._lastFrameAt = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch (e) {
      return;
    }
    switch (f.type) {
      case 'record': {
        const sub = this._subFor(f.topic);
        // records of a paused or ended subscription are left for later: its position does not move
        if (sub && sub.wanted && (sub.wire === 'subscribed' || sub.wire === 'subscribing')) {
          if (f.value != null && typeof data === 'string') f[FRAME_TEXT] = data; // for valueJson(), cut out when asked
          sub._deliver(f);
        }
        break;
      }
      case 'subscribed': {
        const sub = this._subs.get(f.id);
        if (!sub) break;
        sub.wire = 'subscribed';
        sub.everSubscribed = true;
        sub._resolve(sub);
        this._sync(sub);
        break;
      }
      case 'unsubscribed': {
        const sub = this._subs.get(f.id);
        if (!sub) break;
        sub.wire = 'none';
        this._sync(sub);
        this._left(sub);
        break;
      }
      case 'ack': {
        const p = this._pending.get(f.id);
        if (p) {
          clearTimeout(p.timer);
          this._pending.delete(f.id);
          p.resolve(f);
        }
        break;
      }
      case 'reset': {
        const sub = this._subFor(f.topic);
        if (sub) sub.positions[f.topic][f.partition] = f.offset;
        this.dispatchEvent(new CustomEvent('reset', { detail: f }));
        break;
      }
      case 'error':
        this._onError(f);
        break;
      default:
        break; // pong, and frames this client does not know yet
    }
  }

  _onError(f) {
    const err = new TidegateError(f.status, f.title, f.detail, f);
    const p = f.id != null ? this._pending.get(f.id) : null;
    if (p) {
      clearTimeout(p.timer);
      this._pending.delete(f.id);
      p.reject(err);
      return;
    }
    const sub = f.id != null ? this._subs.get(f.id) : null;
    if (sub && sub.wire === 'unsubscribing') {
      sub.wire = 'none';
      this._sync(sub);
      this._left(sub);
      return;
    }
    if (sub && sub.wire === 'subscribing') {
      sub.wire = 'none';
      if (f.status >= 500 && sub.everSubscribed) {
        // overloaded or Kafka slow: try again in a moment, from the same offsets
        setTimeout(() => this._sync(sub), 1000 + Math.random() * 1000);
      } else {
        sub.active = false;
        this._subs.delete(sub.id);
        if (!sub.everSubscribed) sub._reject(err);
        else if (sub.onError) sub.onError(err);
      }
      this._left(sub);
    }
    this.dispatchEvent(new CustomEvent('error', { detail: err }));
  }

  /**
   * Learns, before subscribing, the offset each partition starts from, so that a partition on which no
   * record arrived before a drop still resumes from there (for `latest`: the end offsets now; everything
   * written after this call is delivered even across reconnects).
   */
  async _startPositions(sub) {
    const r = this.options.reconnect;
    for (let attempt = 0; ; attempt++) {
      try {
        await this._lookUpStarts(sub);
        return;
      } catch (e) {
        // the gateway's answer (404 unknown topic...) ends it; a network failure is tried again
        if (e instanceof TidegateError || !sub.active) throw e;
        const wait = Math.min(r.maxMs, r.initialMs * Math.pow(r.factor, attempt));
        await new Promise(resolve => setTimeout(resolve, wait / 2 + Math.random() * wait / 2));
      }
    }
  }

  async _lookUpStarts(sub) {
    for (const topic of sub.topics) {
      const from = sub.from;
      const d = await this._getJson(`/topics/${encodeURIComponent(topic)}`);
      const parts = d.partitions ?? [];
      const pos = sub.positions[topic];
      if (from === 'latest') {
        parts.forEach(p => { pos[p.partition] = p.endOffset; });
      } else if (from === 'earliest') {
        parts.forEach(p => { pos[p.partition] = p.beginOffset; });
      } else if (from && typeof from.timestamp === 'number') {
        const page = await this._getJson(`/topics/${encodeURIComponent(topic)}/records?from=${from.timestamp}&limit=1`);
        Object.entries(page.next ?? {}).forEach(([p, o]) => { pos[p] = o; });
        (page.records ?? []).forEach(rec => { pos[rec.partition] = rec.offset; });
      } else if (from && from.offsets) {
        const asked = from.offsets[topic] ?? {};
        parts.forEach(p => {
          const o = asked[p.partition];
          pos[p.partition] = o === undefined ? p.endOffset : Math.max(o, p.beginOffset);
        });
      } else {
        throw new TidegateError(400, 'Bad request',
          "'from' is 'latest', 'earliest', {timestamp: ms} or {offsets: {topic: {partition: offset}}}");
      }
    }
  }

  async _getJson(path) {
    const r = await this._fetch(this.httpBase + path, { headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new TidegateError(r.status, body.title ?? r.statusText, body.detail ?? '', body);
    return body;
  }
}
