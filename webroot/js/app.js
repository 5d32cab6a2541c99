// The Tidegate dashboard: wires the parts to one TidegateClient and shows the connection state.
import { TidegateClient } from '/tidegate.js';
import { TopicsView } from './topics.js';
import { TailView } from './tail.js';
import { PublishView } from './publish.js';
import { ThroughputView } from './throughput.js';

const client = new TidegateClient();
const conn = document.getElementById('conn');
const connText = document.getElementById('conn-text');
let countdown;

client.addEventListener('state', e => {
  const { state, delayMs, attempt } = e.detail;
  conn.dataset.state = state;
  clearInterval(countdown);
  if (state === 'open') {
    connText.textContent = 'Connected';
  } else if (state === 'reconnecting' && delayMs !== undefined) {
    const at = Date.now() + delayMs;
    const show = () => {
      const s = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      connText.textContent = `Disconnected: reconnecting in ${s} s (attempt ${attempt})`;
    };
    show();
    countdown = setInterval(show, 1000);
  } else if (state === 'reconnecting') {
    connText.textContent = 'Reconnecting…';
  } else if (state === 'closed') {
    connText.textContent = 'Closed';
  } else {
    connText.textContent = 'Connecting…';
  }
});

const tail = new TailView(client);
const topics = new TopicsView({ onTail: name => tail.tailTopic(name) });
const publish = new PublishView(client);
const throughput = new ThroughputView();

client.connect();
topics.start();
throughput.start();

// for other scripts on the page, and for the browser tests
window.tidegate = { client, tail, topics, publish, throughput };
document.documentElement.dataset.ready = 'true';
