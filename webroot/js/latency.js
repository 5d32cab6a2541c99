// Delivery latency per transport: the median and 99th percentile, over the last 15 to 30 s, of the time from a
// record's timestamp to its write to the client's connection; from the `latency` part of GET /stats, which the
// throughput view polls and hands on ('tidegate:stats'). A transport with nothing measured shows "—".
import { fmt, setText } from './api.js';

const msFmt = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export class LatencyView {
  start() {
    document.addEventListener('tidegate:stats', e => this.show(e.detail));
  }

  show(stats) {
    for (const row of document.querySelectorAll('#latency-table tbody tr')) {
      const l = stats.latency?.[row.dataset.transport];
      setText(row.querySelector('.p50'), ms(l?.p50Ms));
      setText(row.querySelector('.p99'), ms(l?.p99Ms));
      setText(row.querySelector('.count'), l ? fmt.format(l.count) : '—');
    }
  }
}

function ms(v) {
  return v == null ? '—' : `${msFmt.format(v)} ms`;
}
