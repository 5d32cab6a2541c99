// Small helpers shared by the dashboard's parts: the HTTP API and formatting.
import { valueJson } from '/tidegate.js';
import { storedToken } from './signin.js';

/**
 * GET/POST/DELETE on the gateway, with the signed-in token as `Authorization: Bearer`; resolves with the JSON
 * body, rejects with an Error carrying the problem. A 401 (the token expired) also fires `tidegate:unauthorized`
 * on the document, which brings the sign-in back.
 */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  const token = storedToken();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (r.status === 401) document.dispatchEvent(new CustomEvent('tidegate:unauthorized'));
  if (!r.ok) {
    const err = new Error(json && json.detail ? json.detail : `${r.status} ${r.statusText}`);
    err.status = r.status;
    err.problem = json;
    throw err;
  }
  return json;
}

export const fmt = new Intl.NumberFormat('en');
export const rateFmt = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function timeOf(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * The record's value for display: JSON pretty-printed (or on one line), text as is, binary as base64. JSON is
 * laid out from its own text (valueJson), so numbers keep every digit they were written with.
 */
export function valueOf(r, pretty, max = Infinity) {
  if ('value' in r) {
    if (r.value === null) return 'null (tombstone)';
    return formatJson(valueJson(r), pretty ? '  ' : '', max);
  }
  if ('text' in r) return r.text;
  if ('binary' in r) return pretty ? `binary, base64:\n${r.binary}` : `binary (${Math.floor(r.binary.length * 3 / 4)} bytes)`;
  return '';
}

/**
 * Lays out valid JSON text as JSON.stringify(value, null, indent) would, but from the text itself: strings,
 * numbers and literals are copied as written. With no indent it is one line without spaces. Stops once the
 * result is at least max characters long (a row shows only the start of a big value).
 */
export function formatJson(text, indent = '', max = Infinity) {
  let out = '';
  let depth = 0;
  const newline = () => (indent ? '\n' + indent.repeat(depth) : '');
  for (let i = 0; i < text.length && out.length < max; i++) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === '{' || c === '[') {
      const next = skipSpace(text, i + 1);
      if (text[next] === '}' || text[next] === ']') {
        out += c + text[next];
        i = next;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') {
      out += ',' + newline();
    } else if (c === ':') {
      out += indent ? ': ' : ':';
    } else if (!isSpace(c)) {
      out += c;
    }
  }
  return out;
}

function isSpace(c) {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

function skipSpace(text, i) {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

/** The index just after the string whose opening quote is at i. */
function endOfString(text, i) {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return text.length;
}

/** Sets an element's text only when it changed (no needless layout, selection kept). */
export function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

/** Makes nodes the children of parent, in order, touching the page only if they are not already. */
export function placeChildren(parent, nodes) {
  const now = parent.children;
  if (now.length !== nodes.length || nodes.some((n, i) => now[i] !== n)) parent.replaceChildren(...nodes);
}

/**
 * Polls fn every ms, never twice at once. Nothing is polled while the page is hidden (a background tab); when
 * it is shown again fn runs at once and then every ms again. Returns a function that stops the polling.
 */
export function every(ms, fn) {
  let running = false;
  let timer = null;
  const tick = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await fn();
    } catch (e) {
      // shown by fn's own status; polling goes on
    } finally {
      running = false;
    }
  };
  const visibility = () => {
    clearInterval(timer);
    timer = null;
    if (document.hidden) return;
    tick();
    timer = setInterval(tick, ms);
  };
  document.addEventListener('visibilitychange', visibility);
  visibility();
  return () => {
    document.removeEventListener('visibilitychange', visibility);
    clearInterval(timer);
  };
}
