// Topics: name, partitions, end offsets and records/s (from end-offset deltas); create; delete with confirmation.
import { api, el, fmt, rateFmt, every } from './api.js';

const MAX_ROWS = 100;
const DESCRIBED = 20;

export class TopicsView {
  constructor({ onTail }) {
    this.onTail = onTail;
    /** What the signed-in identity may do (set by app.js from GET /me): no Tail or Delete it may not use. */
    this.maySubscribe = () => true;
    this.admin = true;
    this.names = [];
    this.details = new Map(); // name -> {partitions, ends, sum, at, rate}
    this.rowsByName = new Map();
    this.body = document.querySelector('#topics-table tbody');
    this.filter = document.getElementById('topic-filter');
    this.note = document.getElementById('topics-note');
    this.filter.addEventListener('input', () => {
      this.render();
      this.describeShown();
    });
    document.getElementById('create-form').addEventListener('submit', e => this.create(e));
    this.deleteDialog = document.getElementById('delete-dialog');
    this.deleteDialog.addEventListener('close', () => this.deleteClosed());
  }

  start() {
    every(3000, () => this.refresh());
  }

  /** Applies what the signed-in identity may do: rows are drawn again with only the buttons it may use. */
  allow(maySubscribe, admin) {
    this.maySubscribe = maySubscribe;
    this.admin = admin;
    document.getElementById('create-form').hidden = !admin;
    this.rowsByName.clear();
    this.render();
  }

  shown() {
    const q = this.filter.value.trim().toLowerCase();
    return this.names.filter(n => !q || n.toLowerCase().includes(q)).slice(0, MAX_ROWS);
  }

  async refresh() {
    const list = await api('GET', '/topics');
    this.names = list.map(t => t.name);
    const dl = document.getElementById('topic-names');
    dl.replaceChildren(...this.names.map(n => el('option', { value: n })));
    this.render();
    await this.describeShown();
  }

  async describeShown() {
    const names = this.shown().slice(0, DESCRIBED);
    let i = 0;
    const worker = async () => {
      // a tab hidden meanwhile asks nothing more (see every)
      while (i < names.length && !document.hidden) {
        const name = names[i++];
        try {
          const d = await api('GET', `/topics/${encodeURIComponent(name)}`);
          const ends = d.partitions.map(p => p.endOffset);
          const sum = ends.reduce((a, b) => a + b, 0);
          const now = performance.now();
          const prev = this.details.get(name);
          const rate = prev && now > prev.at ? Math.max(0, (sum - prev.sum) * 1000 / (now - prev.at)) : null;
          this.details.set(name, { partitions: d.partitions.length, ends, sum, at: now, rate });
        } catch (e) {
          this.details.delete(name);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    this.render();
  }

  render() {
    const shown = this.shown();
    const total = this.names.filter(n => n.toLowerCase().includes(this.filter.value.trim().toLowerCase())).length;
    this.note.textContent = total > shown.length
      ? `Showing ${shown.length} of ${fmt.format(total)} topics; filter to narrow.` : `${fmt.format(total)} topics.`;
    // Rows are kept per topic and updated in place, so a focused button keeps its focus across refreshes.
    const rows = shown.map(name => {
      let tr = this.rowsByName.get(name);
      if (!tr) {
        tr = el('tr', { 'data-topic': name },
          el('th', { scope: 'row', class: 'mono', text: name }),
          el('td', { class: 'num parts', 'data-label': 'Partitions' }),
          el('td', { class: 'ends', 'data-label': 'End offsets' }),
          el('td', { class: 'num rate', 'data-label': 'Records/s' }),
          el('td', { class: 'act' }, el('div', { class: 'actions' },
            this.maySubscribe(name)
              ? el('button', { type: 'button', class: 'small secondary', 'aria-label': `Tail ${name}`, text: 'Tail', onclick: () => this.onTail(name) })
              : null,
            this.admin
              ? el('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${name}`, text: 'Delete', onclick: () => this.askDelete(name) })
              : null)));
        this.rowsByName.set(name, tr);
      }
      const d = this.details.get(name);
      const partsText = d ? String(d.partitions) : '…';
      if (tr.cells[1].textContent !== partsText) tr.cells[1].textContent = partsText;
      const endsText = d ? d.ends.map((o, p) => `${p}: ${fmt.format(o)}`).join(', ') : '…';
      if (tr.cells[2].dataset.text !== endsText) {
        tr.cells[2].dataset.text = endsText;
        tr.cells[2].replaceChildren(d && d.ends.length > 4
          ? el('details', {}, el('summary', { text: `${fmt.format(d.sum)} in all` }), endsText)
          : endsText);
      }
      const rateText = d && d.rate !== null ? rateFmt.format(d.rate) : '–';
      if (tr.cells[3].textContent !== rateText) tr.cells[3].textContent = rateText;
      return tr;
    });
    for (const name of this.rowsByName.keys()) {
      if (!shown.includes(name)) this.rowsByName.delete(name);
    }
    const current = [...this.body.children];
    if (current.length !== rows.length || current.some((r, i) => r !== rows[i])) this.body.replaceChildren(...rows);
  }

  async create(e) {
    e.preventDefault();
    const msg = document.getElementById('create-msg');
    const nameInput = document.getElementById('create-name');
    const name = nameInput.value.trim();
    const body = { name };
    const partitions = document.getElementById('create-partitions').value;
    const rf = document.getElementById('create-rf').value;
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
      nameInput.setAttribute('aria-invalid', 'true');
      msg.className = 'msg bad';
      msg.textContent = 'A topic name is 1 to 249 of a-z, A-Z, 0-9, ".", "_" and "-".';
      nameInput.focus();
      return;
    }
    nameInput.removeAttribute('aria-invalid');
    if (partitions) body.partitions = Number(partitions);
    if (rf) body.replicationFactor = Number(rf);
    msg.className = 'msg';
    msg.textContent = `Creating ${name}…`;
    try {
      await api('POST', '/topics', body);
      msg.className = 'msg ok';
      msg.textContent = `Created ${name}.`;
      nameInput.value = '';
      await this.refresh();
    } catch (err) {
      msg.className = 'msg bad';
      msg.textContent = `Could not create ${name}: ${err.message}`;
    }
  }

  askDelete(name) {
    this.deleting = name;
    document.getElementById('delete-name').textContent = name;
    this.deleteDialog.returnValue = '';
    this.deleteDialog.showModal();
  }

  async deleteClosed() {
    const name = this.deleting;
    this.deleting = null;
    if (this.deleteDialog.returnValue !== 'delete' || !name) return;
    const msg = document.getElementById('create-msg');
    try {
      await api('DELETE', `/topics/${encodeURIComponent(name)}`);
      msg.className = 'msg ok';
      msg.textContent = `Deleted ${name}.`;
      this.details.delete(name);
      await this.refresh();
    } catch (err) {
      msg.className = 'msg bad';
      msg.textContent = `Could not delete ${name}: ${err.message}`;
    }
  }
}
