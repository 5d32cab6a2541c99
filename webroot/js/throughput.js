// Throughput: records/s in and out per topic from GET /stats (the gateway's counters), drawn with Chart.js;
// consumer groups with lag per partition from GET /groups; connected clients.
import { api, el, fmt, rateFmt, every, setText, placeChildren } from './api.js';

/** Chart.js from its WebJar (Maven Central), served by the gateway itself: no CDN. */
const CHART_JS = '/vendor/chart.umd.min.js';

const WINDOW = 300; // samples, one a second: 5 minutes
const MAX_TOPICS = 6;
const PALETTE_LIGHT = ['#0b5cad', '#b3261e', '#17692f', '#7a3fb0', '#8a5300', '#00727a'];
const PALETTE_DARK = ['#6cb2ff', '#ff8a80', '#5fd47f', '#c79bff', '#f2b14c', '#4fd6df'];

export class ThroughputView {
  constructor() {
    this.samples = []; // {t, rates: {topic: {in, out}}}
    this.last = null;
    this.totals = {};
    this.canvas = document.getElementById('tp-chart');
    this.dark = matchMedia('(prefers-color-scheme: dark)');
    this.chart = null; // until Chart.js has loaded
    this.groupNodes = new Map(); // group -> {details, summary, tbody, rows: Map(topic/partition -> tr)}
    this.dark.addEventListener('change', () => this.applyTheme());
  }

  start() {
    // Chart.js (200 kB) is not in the page's head, where it would hold up the first paint: it loads now, in
    // the background, and the chart appears with the samples taken meanwhile.
    loadScript(CHART_JS).then(() => this.createChart(), () => {
      this.canvas.replaceWith(el('p', { class: 'msg bad', text: 'The chart could not be loaded; the table below has the rates.' }));
    });
    every(1000, () => this.poll());
    every(5000, () => this.groups());
  }

  createChart() {
    this.chart = new globalThis.Chart(this.canvas, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
        scales: {
          x: { ticks: { maxTicksLimit: 6, maxRotation: 0 } },
          y: { beginAtZero: true, title: { display: true, text: 'records/s' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 14 } } },
      },
    });
    this.applyTheme();
  }

  applyTheme() {
    if (!this.chart) return;
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--muted').trim();
    const grid = css.getPropertyValue('--grid').trim();
    const o = this.chart.options;
    for (const axis of [o.scales.x, o.scales.y]) {
      axis.ticks.color = fg;
      axis.grid = { color: grid };
      if (axis.title) axis.title.color = fg;
    }
    o.plugins.legend.labels.color = fg;
    this.palette = this.dark.matches ? PALETTE_DARK : PALETTE_LIGHT;
    this.draw();
  }

  async poll() {
    const s = await api('GET', '/stats');
    document.getElementById('clients-count').textContent = fmt.format(s.clients);
    if (this.last) {
      const dt = (s.time - this.last.time) / 1000;
      const rates = {};
      if (dt > 0) {
        for (const [topic, c] of Object.entries(s.topics)) {
          const p = this.last.topics[topic] ?? { in: 0, out: 0 };
          rates[topic] = { in: Math.max(0, (c.in - p.in) / dt), out: Math.max(0, (c.out - p.out) / dt) };
        }
      }
      this.samples.push({ t: s.time, rates });
      if (this.samples.length > WINDOW) this.samples.shift();
    }
    this.last = s;
    document.dispatchEvent(new CustomEvent('tidegate:stats', { detail: s })); // for the latency view
    this.draw();
    this.table(s);
  }

  /** The topics worth a line: the busiest over the window. */
  busiest() {
    const sum = {};
    for (const sample of this.samples) {
      for (const [t, r] of Object.entries(sample.rates)) sum[t] = (sum[t] ?? 0) + r.in + r.out;
    }
    return Object.entries(sum).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, MAX_TOPICS).map(([t]) => t);
  }

  draw() {
    if (!this.chart) return;
    const topics = this.busiest();
    const labels = this.samples.map(s => new Date(s.t).toLocaleTimeString([], { hour12: false }));
    const datasets = [];
    topics.forEach((topic, i) => {
      const color = this.palette[i % this.palette.length];
      for (const dir of ['in', 'out']) {
        datasets.push({
          label: `${topic} ${dir}`,
          data: this.samples.map(s => (s.rates[topic] ? Math.round(s.rates[topic][dir] * 10) / 10 : 0)),
          borderColor: color,
          backgroundColor: color,
          borderDash: dir === 'out' ? [6, 4] : [],
        });
      }
    });
    this.chart.data.labels = labels;
    this.chart.data.datasets = datasets;
    this.chart.update('none');
  }

  table(s) {
    const latest = this.samples.length ? this.samples[this.samples.length - 1].rates : {};
    const topics = Object.keys(s.topics)
      .sort((a, b) => ((latest[b]?.in ?? 0) + (latest[b]?.out ?? 0)) - ((latest[a]?.in ?? 0) + (latest[a]?.out ?? 0)) || a.localeCompare(b))
      .slice(0, 15);
    document.querySelector('#tp-table tbody').replaceChildren(...topics.map(t => el('tr', { 'data-topic': t },
      el('th', { scope: 'row', class: 'mono', text: t }),
      el('td', { class: 'num in', text: rateFmt.format(latest[t]?.in ?? 0) }),
      el('td', { class: 'num out', text: rateFmt.format(latest[t]?.out ?? 0) }),
      el('td', { class: 'num', text: fmt.format(s.topics[t].in) }),
      el('td', { class: 'num', text: fmt.format(s.topics[t].out) }))));
  }

  async groups() {
    if (document.getElementById('groups-panel').hidden) return; // listing groups is for admins
    const note = document.getElementById('groups-note');
    let list;
    try {
      list = await api('GET', '/groups');
    } catch (e) {
      // the groups shown stay as they are (an opened one stays open); the note says they may be stale
      note.hidden = false;
      note.className = 'msg bad';
      setText(note, `Could not read consumer groups: ${e.message}`);
      return;
    }
    note.className = 'muted';
    note.hidden = list.length > 0;
    setText(note, list.length ? '' : 'No consumer groups.');
    const shown = list.slice(0, 50);
    const names = new Set(shown.map(g => g.group));
    for (const name of this.groupNodes.keys()) {
      if (!names.has(name)) this.groupNodes.delete(name);
    }
    placeChildren(document.getElementById('groups'), shown.map(g => this.group(g)));
  }

  /**
   * One group's element: made the first time the group is seen, then updated in place, so what the user
   * opened stays open and nothing is rebuilt that did not change.
   */
  group(g) {
    let n = this.groupNodes.get(g.group);
    if (!n) {
      const summary = el('summary');
      const tbody = el('tbody');
      const details = el('details', { class: 'group', 'data-group': g.group }, summary,
        el('div', { class: 'table-wrap' }, el('table', {},
          el('caption', { class: 'sr-only', text: `Lag per partition of group ${g.group}` }),
          el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Topic' }),
            ...['Partition', 'Committed', 'End', 'Lag'].map(h => el('th', { scope: 'col', class: 'num', text: h })))),
          tbody)));
      n = { details, summary, tbody, rows: new Map() };
      this.groupNodes.set(g.group, n);
    }
    setText(n.summary, `${g.group}: ${g.state ?? ''}, ${g.members ?? 0} member(s), lag ${fmt.format(g.lag ?? 0)}`);
    const keys = new Set();
    const rows = (g.partitions ?? []).map(p => {
      const key = `${p.partition}/${p.topic}`;
      keys.add(key);
      let tr = n.rows.get(key);
      if (!tr) {
        tr = el('tr', {},
          el('td', { class: 'mono', text: p.topic }),
          el('td', { class: 'num', text: String(p.partition) }),
          el('td', { class: 'num' }),
          el('td', { class: 'num' }),
          el('td', { class: 'num lag' }));
        n.rows.set(key, tr);
      }
      setText(tr.cells[2], p.committed == null ? '–' : fmt.format(p.committed));
      setText(tr.cells[3], fmt.format(p.end));
      setText(tr.cells[4], fmt.format(p.lag));
      return tr;
    });
    for (const key of n.rows.keys()) {
      if (!keys.has(key)) n.rows.delete(key);
    }
    placeChildren(n.tbody, rows);
    return n.details;
  }
}

/** Adds a classic script to the page (async: it holds up nothing); resolves once it has run. */
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = el('script', { src });
    script.async = true;
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => reject(new Error(`${src} could not be loaded`)));
    document.head.append(script);
  });
}
