// Sign-in for `auth.mode` jwt. At load the dashboard asks GET /me; a 401 (no token, or the one kept has expired)
// shows a form to paste a JWT. The token is kept in sessionStorage (gone when the tab closes, never in
// localStorage) and sent with every request and on the socket. Shows who is signed in, with a sign-out.
import { tokenClaims } from '/tidegate.js';

const KEY = 'tidegate.token';

/** The token kept for this tab, or null. */
export function storedToken() {
  return sessionStorage.getItem(KEY);
}

/** What a caller may do, from GET /me's permissions; mode none allows everything but Kafka's own topics. */
export class Permissions {
  constructor(p = { publish: ['*'], subscribe: ['*'], groups: ['*'], admin: true }) {
    this.publish = p.publish ?? [];
    this.subscribe = p.subscribe ?? [];
    this.admin = p.admin === true;
  }

  static matches(patterns, name) {
    if (name.startsWith('__')) return false;
    return patterns.some(p => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  }

  maySubscribe(topic) {
    return Permissions.matches(this.subscribe, topic);
  }

  mayPublishAny() {
    return this.publish.length > 0;
  }
}

export class SignIn {
  constructor() {
    this.dialog = document.getElementById('signin-dialog');
    this.form = document.getElementById('signin-form');
    this.input = document.getElementById('signin-token');
    this.msg = document.getElementById('signin-msg');
    this.who = document.getElementById('who');
    this.whoText = document.getElementById('who-text');
    /** Resolvers of token() calls waiting for the user. */
    this.waiters = [];
    /** True when the gateway answered /me without a token (mode none): nothing to sign in to. */
    this.anonymous = false;
    this.onSignedIn = () => {};
    this.form.addEventListener('submit', e => {
      e.preventDefault();
      this.submit();
    });
    // the form is the way in: Escape does not leave it
    this.dialog.addEventListener('cancel', e => e.preventDefault());
    document.getElementById('signout').addEventListener('click', () => this.signOut());
  }

  /** Resolves with GET /me's answer, after the user signed in if the gateway wants a token. */
  async start() {
    const token = storedToken();
    let r;
    // the page came from the gateway, so it answers; but it may be busy (429, 503) or restarting: ask again
    for (let wait = 500; ; wait = Math.min(wait * 2, 10000)) {
      r = await me(token).catch(() => null);
      if (r && (r.ok || r.status === 401)) break;
      await new Promise(resolve => setTimeout(resolve, wait));
    }
    if (r.ok) {
      const body = await r.json();
      // a token kept from before, on a gateway in mode none: nobody signs in there
      this.anonymous = !token || (body.subject == null && (await me(null).catch(() => null))?.ok === true);
      this.show(body);
      return body;
    }
    sessionStorage.removeItem(KEY);
    return new Promise(resolve => {
      this.first = resolve;
      this.ask(token ? 'Your token was refused or has expired. Paste a new one.' : '');
    });
  }

  /**
   * The token for a request or the socket: the stored one while it has not expired, else the sign-in form's
   * next one (the promise waits for the user). Null in mode none.
   */
  token() {
    if (this.anonymous) return Promise.resolve(null);
    const t = storedToken();
    const exp = t ? tokenClaims(t)?.exp : undefined;
    if (t && (typeof exp !== 'number' || exp * 1000 > Date.now())) return Promise.resolve(t);
    return new Promise(resolve => {
      this.waiters.push(resolve);
      this.ask(t ? 'Your token has expired. Paste a new one.' : '');
    });
  }

  /** Shows the form (a 401 from any request brings it back). */
  ask(message) {
    if (this.anonymous) return;
    document.documentElement.dataset.auth = 'signin';
    this.say(message, message ? 'bad' : '');
    if (!this.dialog.open) {
      this.input.value = '';
      this.dialog.showModal();
      this.input.focus();
    }
  }

  async submit() {
    const token = this.input.value.trim();
    const claims = tokenClaims(token);
    this.input.removeAttribute('aria-invalid');
    if (!claims) return this.refuse('That is not a JWT: three base64url parts separated by dots.');
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) {
      return this.refuse(`That token expired at ${new Date(claims.exp * 1000).toLocaleString()}.`);
    }
    this.say('Checking the token…');
    let r;
    try {
      r = await me(token);
    } catch (e) {
      return this.refuse(`The gateway did not answer: ${e.message}`);
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) return this.refuse(`The gateway refused the token (${r.status}): ${body.detail ?? r.statusText}`);
    sessionStorage.setItem(KEY, token);
    this.dialog.close();
    document.documentElement.dataset.auth = 'in';
    this.show(body);
    this.waiters.splice(0).forEach(w => w(token));
    if (this.first) {
      this.first(body);
      this.first = null;
    } else {
      this.onSignedIn(body);
    }
  }

  refuse(text) {
    this.input.setAttribute('aria-invalid', 'true');
    this.say(text, 'bad');
    this.input.focus();
  }

  say(text, kind = '') {
    this.msg.className = `msg ${kind}`;
    this.msg.textContent = text;
  }

  /** Who is signed in, in the header; nothing in mode none. */
  show(body) {
    if (body.subject == null && this.anonymous) {
      this.who.hidden = true;
      return;
    }
    const until = body.expires ? `, until ${new Date(body.expires * 1000).toLocaleString()}` : '';
    this.whoText.textContent = `Signed in as ${body.subject ?? 'a token without a subject'}${until}`;
    this.whoText.dataset.subject = body.subject ?? '';
    this.who.hidden = false;
  }

  signOut() {
    sessionStorage.removeItem(KEY);
    location.reload();
  }
}

function me(token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch('/me', { headers });
}
