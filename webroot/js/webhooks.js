// The Webhooks panel (admins only): each webhook with its topics, url, lag, counts and last error, from
// GET /webhooks and GET /webhooks/{name}/status, and a Redrive button (POST /webhooks/{name}/redrive) that sends
// its dead letters through it again and shows how that went.
import { api, el, fmt, setText, placeChildren, every } from './api.js';

const SHOWN = 50; // webhooks shown at most (each costs a status request per poll)

export class WebhooksView {
  constructor() {
    this.panel = document.getElementById('webhooks');
    this.note = document.getElementById('webhooks-note');
    this.list = document.getElementById('webhooks-list');
    this.nodes = new Map();
  }

  start() {
    every(3000, () => this.refresh());
  }

  async refresh() {
    if (this.panel.hidden) return; // webhooks are for admins
    let defs;
    try {
      defs = await api('GET', '/webhooks');
    } catch (e) {
      this.note.hidden = false;
      this.note.className = 'msg bad';
      setText(this.note, `Could not read webhooks: ${e.message}`);
      return;
    }
    const shown = defs.slice(0, SHOWN);
    // a few at a time: each status is two admin look-ups on the gateway, whose admin lane is bounded
    const statuses = await inBatches(shown, 4, d =>
      api('GET', `/webhooks/${encodeURIComponent(d.name)}/status`).catch(e => ({ unreadable: e.message })));
    this.note.className = 'muted';
    this.note.hidden = defs.length > 0 && defs.length <= SHOWN;
    setText(this.note, defs.length === 0 ? 'No webhooks.' : defs.length > SHOWN ? `The first ${SHOWN} of ${defs.length} webhooks.` : '');
    const names = new Set(shown.map(d => d.name));
    for (const name of this.nodes.keys()) {
      if (!names.has(name)) this.nodes.delete(name);
    }
    placeChildren(this.list, shown.map((d, i) => this.webhook(d, statuses[i])));
  }

  /** One webhook's element, made once and then updated in place (a result shown stays until the next redrive). */
  webhook(d, s) {
    let n = this.nodes.get(d.name);
    if (!n) {
      const stat = (label, cls) => {
        const dd = el('dd', { class: `num ${cls}`, text: '–' });
        return [el('div', {}, el('dt', { text: label }), dd), dd];
      };
      const [lagBox, lag] = stat('Lag', 'wh-lag');
      const [deliveredBox, delivered] = stat('Delivered', 'wh-delivered');
      const [failedBox, failed] = stat('Failed attempts', 'wh-failed');
      const [deadBox, dead] = stat('Dead-lettered', 'wh-dead');
      const [waitingBox, waiting] = stat('Dead letters waiting', 'wh-waiting');
      const state = el('span', { class: 'wh-state' });
      const target = el('p', { class: 'mono wh-target' });
      const error = el('p', { class: 'error wh-error' });
      const result = el('output', { class: 'msg wh-result', 'aria-live': 'polite' });
      const button = el('button', { type: 'button', class: 'small', 'aria-label': `Redrive ${d.name}`, text: 'Redrive',
        onclick: () => this.redrive(d.name, n) });
      const root = el('article', { class: 'webhook', 'data-webhook': d.name },
        el('h3', {}, el('span', { class: 'mono', text: d.name }), ' ', state), target,
        el('dl', { class: 'wh-stats' }, lagBox, deliveredBox, failedBox, deadBox, waitingBox), error,
        el('div', { class: 'row' }, button, result));
      n = { root, state, target, lag, delivered, failed, dead, waiting, error, result, button, asked: null };
      this.nodes.set(d.name, n);
    }
    setText(n.target, `${d.topics.join(', ')} → ${d.url}`);
    if (s.unreadable) {
      setText(n.state, '(status unavailable)');
      setText(n.error, `Could not read its status: ${s.unreadable}`);
      return n.root;
    }
    setText(n.state, s.state === 'disabled' ? `disabled: ${s.disabled ?? ''}` : '');
    setText(n.lag, fmt.format(s.lag ?? 0));
    setText(n.delivered, fmt.format(s.delivered ?? 0));
    setText(n.failed, fmt.format(s.failed ?? 0));
    setText(n.dead, fmt.format(s.deadLettered ?? 0));
    const r = s.redrive ?? {};
    setText(n.waiting, r.waiting == null ? '–' : fmt.format(r.waiting));
    const e = s.lastError;
    setText(n.error, e ? `Last error (${new Date(e.at).toLocaleTimeString()}): ${e.error}` : '');
    n.button.disabled = r.state === 'running' || r.state === 'starting' || s.state === 'disabled';
    if (n.asked && r.state && r.state !== 'idle') this.showRun(n, r);
    return n.root;
  }

  showRun(n, r) {
    n.root.dataset.redrive = r.state;
    if (r.state === 'running' || r.state === 'starting') {
      n.result.className = 'msg wh-result';
      setText(n.result, `Redriving: ${fmt.format(r.redriven)} delivered, ${fmt.format(r.failed)} failed again, ${fmt.format(r.pending)} to go.`);
    } else if (r.state === 'done') {
      n.result.className = r.failed > 0 ? 'msg bad wh-result' : 'msg ok wh-result';
      setText(n.result, `Redrive done: ${fmt.format(r.redriven)} delivered, ${fmt.format(r.failed)} failed again${r.failed > 0 ? ' (back in the dead-letter topic)' : ''}.`);
    } else {
      n.result.className = 'msg bad wh-result';
      setText(n.result, `Redrive stopped: ${r.error ?? 'unknown reason'} (${fmt.format(r.redriven)} delivered).`);
    }
  }

  async redrive(name, n) {
    n.button.disabled = true;
    n.result.className = 'msg wh-result';
    setText(n.result, 'Starting the redrive…');
    try {
      const r = await api('POST', `/webhooks/${encodeURIComponent(name)}/redrive`);
      n.asked = Date.now();
      n.root.dataset.redrive = 'running';
      setText(n.result, r.redriving === 0 ? 'No dead letters to redrive.' : `Redriving ${fmt.format(r.redriving)} dead letter(s)…`);
    } catch (e) {
      n.button.disabled = false;
      n.result.className = 'msg bad wh-result';
      setText(n.result, e.status === 409 ? `Not now: ${e.message}` : `Redrive refused: ${e.message}`);
    }
    this.refresh();
  }
}

/** fn over items, at most n at a time; the results in the items' order. */
async function inBatches(items, n, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += n) {
    out.push(...await Promise.all(items.slice(i, i + n).map(fn)));
  }
  return out;
}
