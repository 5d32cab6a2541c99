// The Tidegate dashboard: signs in when the gateway wants a token, wires the parts to one TidegateClient and
// shows the connection state and who is signed in.
import { TidegateClient } from '/tidegate.js';
import { TopicsView } from './topics.js';
import { TailView } from './tail.js';
import { PublishView } from './publish.js';
import { ThroughputView } from './throughput.js';
import { LatencyView } from './latency.js';
import { SignIn, Permissions } from './signin.js';
import { WebhooksView } from './webhooks.js';

const signIn = new SignIn();
const me = await signIn.start(); // GET /me; in jwt mode without a token it waits for the sign-in form
document.documentElement.dataset.auth = signIn.anonymous ? 'none' : 'in';
// the token function is asked on every (re)connect and before the token expires; it waits for a new sign-in
// once the kept token has expired
const client = new TidegateClient(signIn.anonymous ? {} : { token: () => signIn.token() });
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
const webhooks = new WebhooksView();
const latency = new LatencyView();

/** Shows only what the signed-in identity may do: publish, topic admin and groups, tailing. */
function allow(body) {
  const may = new Permissions(body.permissions);
  const canPublish = may.mayPublishAny();
  document.getElementById('publish').hidden = !canPublish;
  document.getElementById('nav-publish').hidden = !canPublish;
  document.getElementById('groups-panel').hidden = !may.admin;
  document.getElementById('webhooks').hidden = !may.admin;
  document.getElementById('nav-webhooks').hidden = !may.admin;
  const maySubscribe = t => may.maySubscribe(t);
  topics.allow(maySubscribe, may.admin);
  tail.maySubscribe = maySubscribe;
}

allow(me);
signIn.onSignedIn = allow; // signed in again after a 401, perhaps as someone else
document.addEventListener('tidegate:unauthorized', () => signIn.ask('Your token was refused or has expired. Paste a new one.'));

client.connect();
topics.start();
latency.start();
throughput.start();
webhooks.start();

// for other scripts on the page, and for the browser tests
window.tidegate = { client, tail, topics, publish, throughput, latency, webhooks, signIn };
document.documentElement.dataset.ready = 'true';
