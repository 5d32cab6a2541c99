// tidegate.js: a browser client for the Tidegate gateway's WebSocket /ws (an ES module, no build step).
//
//   import { TidegateClient } from '/tidegate.js';
//   const client = new TidegateClient();                  // ws(s)://<this host>/ws
//   await client.subscribe(['orders'], record => console.log(record), { from: 'latest' });
//   const ack = await client.publish('orders', { key: 'u1', value: { id: 7 } });   // {partition, offset, ...}
//
// The client reconnects by itself (exponential backoff with jitter) and resubscribes every subscription from
// the offsets after the last records it delivered, so a dropped connection loses nothing and repeats nothing.
// A gateway that stops gracefully sends a `draining` frame (its offsets) and closes with 1012 (service
// restart): the client reconnects at once, without backoff, and resumes from those offsets.
//
// With a token (`auth.mode` jwt): new TidegateClient({ token: () => fetchMyToken() }) (a string, or a function
// returning one or a Promise of one). It is called on every (re)connect; the socket carries it as ?access_token=
// and HTTP calls as Authorization: Bearer. Before it expires the client asks the function again and replaces the
// token on the open socket with an `auth` frame (or, where the gateway does not know that frame, reconnects with
// the new token and resumes from its offsets).
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
  /** How long before the token's `exp` a fresh one is asked for (at most half of what is left of it). */
  refreshBeforeMs: 30000,
};

/** The gateway accepts a token this long past its `exp` (clock skew); later it is refused for sure. */
const SKEW_MS = 30000;

/**
 * The claims of a JWT (its payload, base64url JSON), read WITHOUT verifying anything: only for knowing when it
 * expires and whom it names. The gateway verifies. Undefined if the text is not a JWT.
 */
export function tokenClaims(token) {
  try {
    const part = String(token).split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === 'object' ? claims : undefined;
  } catch (e) {
    return undefined;
  }
}

/** A token's `exp` (epoch seconds), or undefined. */
function expOf(token) {
  const exp = token ? tokenClaims(token)?.exp : undefined;
  return typeof exp === 'number' ? exp : undefined;
}

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
 * `error` (detail: TidegateError), `reset` (detail: the gateway's reset frame), `authenticated` (detail: the
 * gateway's answer to a token replaced on the open socket).
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
    /** The latest token the option gave (for HTTP calls), and the one the open socket was authenticated with. */
    this._token = null;
    this._wsToken = null;
    /**
     * Whether this._token came from the token function and no socket has used it yet: the next connect takes it
     * instead of asking again (the look-ups of a first subscribe, or a token the gateway would not take in an
     * `auth` frame, come just before a connect). A token a socket has used is never reused for a reconnect.
     */
    this._unused = false;
    /** Until the gateway answers an `auth` frame with an error, tokens are replaced on the open socket. */
    this._authFrames = true;
    this._authPending = null;
    this._swapping = null;
    /** How many times the token function was called. */
    this.tokenCalls = 0;
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

  /**
   * fetch() on the gateway's HTTP API (`path` such as '/topics'), with the token as `Authorization: Bearer`;
   * a 401 answer is tried once more with a fresh token from the token function. Resolves with the Response.
   */
  async fetch(path, init = {}) {
    const attempt = token => {
      const headers = new Headers(init.headers ?? {});
      if (token) headers.set('Authorization', `Bearer ${token}`);
      return this._fetch(this.httpBase + path, { ...init, headers });
    };
    let r = await attempt(this._token ?? await this._freshToken());
    if (r.status === 401 && typeof this.options.token === 'function') {
      r = await attempt(await this._freshToken());
    }
    return r;
  }

  /** Closes the connection and stops reconnecting; pending publishes are rejected. */
  close() {
    this._closedByUser = true;
    clearTimeout(this._retryTimer);
    clearTimeout(this._refreshTimer);
    this._opening = null;
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
      if (this.state === 'open' && !this._swapping) {
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

  /** The token from the option (called if it is a function), or null without one; kept for HTTP calls. */
  async _freshToken() {
    const t = this.options.token;
    if (t == null) return null;
    let token = t;
    if (typeof t === 'function') {
      this.tokenCalls += 1;
      token = await t();
    }
    if (token != null && typeof token !== 'string') throw new TypeError('the token must be a string (a JWT)');
    this._token = token || null;
    this._unused = this._token !== null && typeof t === 'function';
    return this._token;
  }

  _open() {
    clearTimeout(this._retryTimer);
    this._setState(this.attempt === 0 && this.reconnects === 0 ? 'connecting' : 'reconnecting');
    const opening = {};
    this._opening = opening;
    const token = this._unused ? Promise.resolve(this._token) : this._freshToken();
    token.then(t => {
      if (this._opening !== opening || this._ws || this._closedByUser) return;
      this._opening = null;
      const exp = expOf(t);
      if (exp !== undefined && exp * 1000 + SKEW_MS < Date.now()) {
        this._tokenExpired();
        return;
      }
      this._openWith(t);
    }, e => {
      if (this._opening !== opening) return;
      this._opening = null;
      this.dispatchEvent(new CustomEvent('error', { detail: new TidegateError(401, 'No token',
        `the token function failed: ${e && e.message ? e.message : e}`) }));
      if (!this._closedByUser) this._scheduleReconnect();
    });
  }

  /** A token already past its expiry is not sent: a string cannot get better, a function may next time. */
  _tokenExpired() {
    const err = new TidegateError(401, 'Token expired', 'the token is past its exp; the gateway would refuse it');
    this.dispatchEvent(new CustomEvent('error', { detail: err }));
    if (typeof this.options.token === 'function') this._scheduleReconnect();
    else this.close();
  }

  _openWith(token) {
    let ws;
    try {
      const url = new URL(this.url);
      // browsers' WebSocket cannot set headers: the query parameter, which the gateway never logs
      if (token) url.searchParams.set('access_token', token);
      ws = new this._WebSocket(url.toString());
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._wsToken = token;
    if (token === this._token) this._unused = false;
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
    this._scheduleRefresh(ws);
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

  _closed(ws, code, reason, atOnce = false) {
    if (ws !== this._ws) return;
    this._ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    clearInterval(this._heartbeat);
    clearTimeout(this._stableTimer);
    clearTimeout(this._refreshTimer);
    clearTimeout(this._swapTimer);
    this._authPending = null;
    this._swapping = null;
    const refused = this._tokenRefused;
    this._tokenRefused = false;
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
    } else if (refused && typeof this.options.token !== 'function') {
      // the gateway refused the one token there is (expired): reconnecting with it again cannot help
      this.close();
    } else if (atOnce || code === 1012) {
      // 1012: the gateway restarts (a graceful stop): another instance is there now, no reason to wait
      this._setState('reconnecting', { delayMs: 0, code, reason, at: Date.now() });
      this._retryTimer = setTimeout(() => this._connectNow(), 0);
    } else {
      // after a 401 and close 1008 (the token expired) the reconnect asks the token function for a new one
      this._scheduleReconnect(code, reason);
    }
  }

  // ---- token replacement on the open socket ----

  /** Asks for a fresh token `refreshBeforeMs` (at most half the time left) before the socket's token expires. */
  _scheduleRefresh(ws) {
    clearTimeout(this._refreshTimer);
    const exp = expOf(this._wsToken);
    if (typeof this.options.token !== 'function' || exp === undefined) return;
    const left = exp * 1000 - Date.now();
    const delay = Math.max(0, left - Math.min(this.options.refreshBeforeMs, left / 2));
    this._refreshTimer = setTimeout(() => this._refresh(ws), delay);
  }

  async _refresh(ws) {
    if (ws !== this._ws) return;
    let token;
    try {
      token = await this._freshToken();
    } catch (e) {
      this.dispatchEvent(new CustomEvent('error', { detail: new TidegateError(401, 'No token',
        `the token function failed: ${e && e.message ? e.message : e}`) }));
      return; // the socket lasts until its token expires; the reconnect then asks again
    }
    if (ws !== this._ws) return;
    const newExp = expOf(token);
    // nothing newer to offer: the socket ends at expiry (401, close 1008) and the reconnect asks again
    if (!token || token === this._wsToken || (newExp !== undefined && newExp <= (expOf(this._wsToken) ?? 0))) {
      this._unused = false;
      return;
    }
    if (this._authFrames) {
      const id = this._id('a');
      this._authPending = { id, token, ws };
      if (!this._send({ type: 'auth', id, token })) this._authPending = null;
    } else {
      this._swap(ws); // the reconnect takes the unused token
    }
  }

  /** The gateway took the new token on the open socket (`{"type":"authenticated","exp"}`). */
  _authenticated(ws, f) {
    const p = this._authPending;
    if (!p || p.ws !== ws || (f.id != null && f.id !== p.id)) return;
    this._authPending = null;
    this._wsToken = p.token;
    if (p.token === this._token) this._unused = false;
    this._scheduleRefresh(ws);
    this.dispatchEvent(new CustomEvent('authenticated', { detail: f }));
  }

  /**
   * The gateway answered the `auth` frame with an error: one that does not know the frame (400) is not sent it
   * again; either way the client reconnects and resumes from its offsets, with the new token (or, if the gateway
   * refused that one with 401, with the next one the token function gives).
   */
  _authRefused(ws, f) {
    this._authPending = null;
    if (f.status === 401) this._unused = false;
    else if (f.status !== 403) this._authFrames = false;
    this._swap(ws);
  }

  /**
   * Replaces the socket: new publishes wait, those in flight get their answers (up to publishTimeoutMs), then
   * the socket is closed and opened again at once, resuming every subscription from its offsets.
   */
  _swap(ws) {
    if (ws !== this._ws || this._swapping) return;
    this._swapping = { ws };
    this._swapTimer = setTimeout(() => this._swapNow(), this.options.publishTimeoutMs);
    this._swapIfIdle();
  }

  _swapIfIdle() {
    if (!this._swapping) return;
    for (const p of this._pending.values()) if (p.sent) return;
    this._swapNow();
  }

  _swapNow() {
    const s = this._swapping;
    if (!s || s.ws !== this._ws) return;
    try {
      s.ws.close(1000, 'new token');
    } catch (e) { /* already closing */ }
    this._closed(s.ws, 1000, 'new token', true);
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
    if (this._ws || this._opening || this._closedByUser) return;
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
        this._swapIfIdle();
        break;
      }
      case 'authenticated':
        this._authenticated(ws, f);
        break;
      case 'draining':
        this._draining(f);
        break;
      case 'reset': {
        const sub = this._subFor(f.topic);
        if (sub) sub.positions[f.topic][f.partition] = f.offset;
        this.dispatchEvent(new CustomEvent('reset', { detail: f }));
        break;
      }
      case 'error':
        // the answer to an `auth` frame (by its id; a gateway that leaves the id out: an error without offsets)
        if (this._authPending && (f.id != null ? f.id === this._authPending.id : !('offsets' in f))) {
          this._authRefused(ws, f);
          break;
        }
        this._onError(f);
        this._swapIfIdle();
        break;
      default:
        break; // pong, and frames this client does not know yet
    }
  }

  /**
   * The gateway is stopping (close 1012 follows): nothing more comes on this socket. Its offsets fill in the
   * partitions this client has no position for yet; a position the client holds is never moved (it is exactly
   * where its callback stands, also for a paused subscription whose records were left for later).
   */
  _draining(f) {
    const offsets = f.offsets || {};
    for (const sub of this._subs.values()) {
      for (const t of sub.topics) {
        const at = offsets[t];
        if (!at) continue;
        for (const [p, o] of Object.entries(at)) {
          if (sub.positions[t][p] === undefined) sub.positions[t][p] = o;
        }
      }
    }
    this.dispatchEvent(new CustomEvent('draining', { detail: f }));
  }

  _onError(f) {
    const err = new TidegateError(f.status, f.title, f.detail, f);
    // a 401 that answers no request: the token expired (close 1008 follows); the reconnect asks for a new one
    if (f.status === 401 && (f.id == null || !this._pending.has(f.id))) this._tokenRefused = true;
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
    const r = await this.fetch(path, { headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new TidegateError(r.status, body.title ?? r.statusText, body.detail ?? '', body);
    return body;
  }
}
