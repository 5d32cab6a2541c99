// Live tail: subscribes through the TidegateClient, keeps a bounded buffer of the newest records and shows
// them in a virtualised list (only the rows in view exist in the page).
import { api, el, fmt, timeOf, valueOf } from './api.js';

const OVERSCAN = 6;

/** A fixed-size ring of the newest records; older ones are dropped and counted. */
export class RingBuffer {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = new Array(capacity);
    this.start = 0;
    this.length = 0;
    this.dropped = 0;
  }

  push(x) {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = x;
      this.length++;
    } else {
      this.items[this.start] = x;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }

  get(i) {
    return this.items[(this.start + i) % this.capacity];
  }

  clear() {
    this.items = new Array(this.capacity);
    this.start = 0;
    this.length = 0;
    this.dropped = 0;
  }

  toArray() {
    const out = [];
    for (let i = 0; i < this.length; i++) out.push(this.get(i));
    return out;
  }
}

export class TailView {
  constructor(client, { capacity = 10000 } = {}) {
    this.client = client;
    /** Whether the signed-in identity may subscribe to a topic (set by app.js from GET /me). */
    this.maySubscribe = () => true;
    this.buffer = new RingBuffer(capacity);
    this.received = 0;
    this.sub = null;
    this.follow = true;
    this.dirty = false;
    this.droppedSeen = 0;
    this.view = document.getElementById('tail-view');
    this.spacer = document.getElementById('tail-spacer');
    this.msg = document.getElementById('tail-msg');
    this.pauseBtn = document.getElementById('tail-pause');
    this.rows = new Map(); // index in buffer (absolute) -> row element
    this.form = document.getElementById('tail-form');
    this.form.addEventListener('submit', e => {
      e.preventDefault();
      this.start();
    });
    this.pauseBtn.addEventListener('click', () => this.togglePause());
    document.getElementById('tail-clear').addEventListener('click', () => this.clear());
    const from = document.getElementById('tail-from');
    from.addEventListener('change', () => {
      document.getElementById('tail-time-field').hidden = from.value !== 'time';
      document.getElementById('tail-offset-field').hidden = from.value !== 'offset';
    });
    this.view.addEventListener('scroll', () => {
      this.follow = this.view.scrollTop + this.view.clientHeight >= this.view.scrollHeight - (this.rowHeight ?? 30);
      this.schedule();
    });
    this.view.addEventListener('keydown', e => this.key(e));
    // the row height and the rows in view change with the layout (a phone turned, a narrower window)
    new ResizeObserver(() => this.schedule()).observe(this.view);
    this.view.addEventListener('click', e => {
      const row = e.target.closest('.tail-row');
      if (row) this.open(Number(row.dataset.index));
    });
    this.dialog = document.getElementById('record-dialog');
    this.counts = {
      received: document.getElementById('tail-received'),
      shown: document.getElementById('tail-shown'),
      dropped: document.getElementById('tail-dropped'),
    };
  }

  /** Topic names typed in the form. */
  topics() {
    return document.getElementById('tail-topics').value.split(/[\s,]+/).map(t => t.trim()).filter(Boolean);
  }

  async from(topics) {
    const kind = document.getElementById('tail-from').value;
    if (kind === 'latest' || kind === 'earliest') return kind;
    if (kind === 'time') {
      const v = document.getElementById('tail-time').value;
      const ms = v ? new Date(v).getTime() : NaN;
      if (Number.isNaN(ms)) throw new Error('Choose a time to start from.');
      return { timestamp: ms };
    }
    const offset = Number(document.getElementById('tail-offset').value);
    if (!Number.isInteger(offset) || offset < 0) throw new Error('The offset must be a whole number, 0 or more.');
    const offsets = {};
    for (const t of topics) {
      const d = await api('GET', `/topics/${encodeURIComponent(t)}`);
      offsets[t] = {};
      (d.partitions ?? []).forEach(p => { offsets[t][p.partition] = offset; });
    }
    return { offsets };
  }

  filter() {
    const key = document.getElementById('tail-key').value;
    const header = document.getElementById('tail-header').value.trim();
    const f = {};
    if (key !== '') f.key = key;
    if (header) {
      const i = header.indexOf('=');
      if (i <= 0) throw new Error('Write the header filter as name=value.');
      f.headers = { [header.slice(0, i).trim()]: header.slice(i + 1).trim() };
    }
    return Object.keys(f).length ? f : undefined;
  }

  /** Adds a topic to the tail (from the topic list) and starts. */
  tailTopic(name) {
    const input = document.getElementById('tail-topics');
    const set = new Set(this.topics());
    set.add(name);
    input.value = [...set].join(', ');
    this.start();
    document.getElementById('tail').scrollIntoView({ block: 'start' });
  }

  async start() {
    const topics = this.topics();
    const input = document.getElementById('tail-topics');
    if (topics.length === 0) {
      input.setAttribute('aria-invalid', 'true');
      this.say('Name at least one topic to tail.', 'bad');
      input.focus();
      return;
    }
    const refused = topics.filter(t => !this.maySubscribe(t));
    if (refused.length) {
      input.setAttribute('aria-invalid', 'true');
      this.say(`You may not subscribe to ${refused.join(', ')}.`, 'bad');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    if (this.sub) {
      this.sub.unsubscribe();
      this.sub = null;
    }
    let from;
    let filter;
    try {
      from = await this.from(topics);
      filter = this.filter();
    } catch (e) {
      this.say(e.message, 'bad');
      return;
    }
    this.say(`Subscribing to ${topics.join(', ')}…`);
    this.pauseBtn.disabled = true;
    try {
      const sub = await this.client.subscribe(topics, r => this.add(r), {
        from, filter, onError: err => this.say(`The tail stopped: ${err.message}`, 'bad'),
      });
      this.sub = sub;
      this.pauseBtn.disabled = false;
      this.setPaused(false);
      const fromText = typeof from === 'string' ? from : from.timestamp ? `time ${new Date(from.timestamp).toLocaleString()}` : 'offset';
      this.say(`Tailing ${topics.join(', ')} from ${fromText}${filter ? ' (filtered)' : ''}.`, 'ok');
    } catch (e) {
      this.say(`Could not tail ${topics.join(', ')}: ${e.message}`, 'bad');
    }
  }

  togglePause() {
    if (!this.sub) return;
    if (this.sub.paused) {
      this.sub.resume();
    } else {
      this.sub.pause();
    }
    this.setPaused(this.sub.paused);
    this.say(this.sub.paused ? 'Paused: new records wait in Kafka and arrive on resume.' : 'Resumed.', 'ok');
  }

  setPaused(paused) {
    this.pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    this.pauseBtn.setAttribute('aria-pressed', String(paused));
  }

  clear() {
    this.buffer.clear();
    this.received = 0;
    this.droppedSeen = 0;
    this.rows.forEach(r => r.remove());
    this.rows.clear();
    this.schedule();
  }

  say(text, kind = '') {
    this.msg.className = `msg ${kind}`;
    this.msg.textContent = text;
  }

  add(r) {
    this.received++;
    this.buffer.push(r);
    this.schedule();
  }

  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.render();
    });
  }

  /** Renders the rows in view; called at most once per frame however many records arrived. */
  render() {
    const b = this.buffer;
    // the row height comes from the stylesheet (taller rows on a phone)
    const ROW = parseFloat(getComputedStyle(this.view).getPropertyValue('--row')) || 30;
    this.rowHeight = ROW;
    this.counts.received.textContent = fmt.format(this.received);
    this.counts.shown.textContent = fmt.format(b.length);
    this.counts.dropped.textContent = fmt.format(b.dropped);
    const newlyDropped = b.dropped - this.droppedSeen;
    this.droppedSeen = b.dropped;
    this.spacer.style.height = `${b.length * ROW}px`;
    if (this.follow) {
      this.view.scrollTop = this.view.scrollHeight;
    } else if (newlyDropped > 0) {
      // keep the same records in view while older ones leave the buffer
      this.view.scrollTop = Math.max(0, this.view.scrollTop - newlyDropped * ROW);
    }
    const first = Math.max(0, Math.floor(this.view.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(b.length, Math.ceil((this.view.scrollTop + this.view.clientHeight) / ROW) + OVERSCAN);
    // rows are keyed by absolute position (dropped + index), so a row survives while its record stays
    const keep = new Map();
    const focused = document.activeElement;
    for (let i = first; i < last; i++) {
      const abs = b.dropped + i;
      let row = this.rows.get(abs);
      if (!row) {
        row = this.row(b.get(i), abs);
        this.view.append(row);
      }
      row.style.top = `${i * ROW}px`;
      row.dataset.index = String(i);
      keep.set(abs, row);
    }
    for (const [abs, row] of this.rows) {
      if (keep.has(abs)) continue;
      if (row === focused) keep.set(abs, row); else row.remove();
    }
    this.rows = keep;
  }

  row(r, abs) {
    return el('button', { type: 'button', class: 'tail-row', role: 'listitem', tabindex: '-1',
      'data-topic': r.topic, 'data-partition': r.partition, 'data-offset': r.offset, 'data-abs': abs },
      el('span', { class: 'ts', text: timeOf(r.timestamp) }),
      el('span', { class: 'topic', text: r.topic }),
      el('span', { class: 'po', text: `p${r.partition} · ${r.offset}` }),
      el('span', { class: 'key', text: r.key ?? '–' }),
      el('span', { class: 'val', text: valueOf(r, false, 200).slice(0, 200) }));
  }

  key(e) {
    const b = this.buffer;
    if (b.length === 0) return;
    const cur = document.activeElement.closest ? document.activeElement.closest('.tail-row') : null;
    let i = cur ? Number(cur.dataset.index) : b.length - 1;
    if (e.key === 'ArrowDown') i = Math.min(b.length - 1, cur ? i + 1 : i);
    else if (e.key === 'ArrowUp') i = Math.max(0, cur ? i - 1 : i);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = b.length - 1;
    else if (e.key === 'Enter' && cur) {
      e.preventDefault();
      this.open(i);
      return;
    } else return;
    e.preventDefault();
    this.follow = i === b.length - 1;
    const ROW = this.rowHeight ?? 30;
    const top = i * ROW;
    if (top < this.view.scrollTop) this.view.scrollTop = top;
    else if (top + ROW > this.view.scrollTop + this.view.clientHeight) this.view.scrollTop = top + ROW - this.view.clientHeight;
    this.render();
    const row = this.rows.get(b.dropped + i);
    if (row) row.focus();
  }

  open(i) {
    const r = this.buffer.get(i);
    if (!r) return;
    const meta = document.getElementById('record-meta');
    const headers = Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n') || 'none';
    const items = [
      ['Topic', r.topic], ['Partition', String(r.partition)], ['Offset', String(r.offset)],
      ['Timestamp', `${new Date(r.timestamp).toISOString()} (${r.timestamp})`],
      ['Key', r.key ?? 'null'], ['Headers', headers],
    ];
    meta.replaceChildren(...items.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { class: `mono f-${k.toLowerCase()}`, text: v })]));
    document.getElementById('record-value').textContent = valueOf(r, true);
    this.dialog.showModal();
  }
}
