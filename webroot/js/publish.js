// Publish: topic, key, headers, value as JSON or text, through the WebSocket client; shows the ack or the error.

export class PublishView {
  constructor(client) {
    this.client = client;
    this.form = document.getElementById('publish-form');
    this.value = document.getElementById('pub-value');
    this.error = document.getElementById('pub-error');
    this.result = document.getElementById('pub-result');
    this.form.addEventListener('submit', e => {
      e.preventDefault();
      this.send();
    });
    this.value.addEventListener('input', () => this.clearError());
  }

  format() {
    return this.form.querySelector('input[name="pub-format"]:checked').value;
  }

  clearError() {
    this.error.textContent = '';
    this.value.removeAttribute('aria-invalid');
  }

  fail(input, text) {
    this.error.textContent = text;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'pub-error');
    this.result.textContent = '';
    input.focus();
  }

  headers() {
    const out = {};
    for (const line of document.getElementById('pub-headers').value.split('\n')) {
      if (!line.trim()) continue;
      const i = line.indexOf(':');
      if (i <= 0) throw new Error(`Header line "${line.trim()}" is not name: value.`);
      out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
  }

  async send() {
    this.clearError();
    const topicInput = document.getElementById('pub-topic');
    topicInput.removeAttribute('aria-invalid');
    const topic = topicInput.value.trim();
    if (!topic) {
      this.fail(topicInput, 'Choose a topic to publish to.');
      return;
    }
    const record = {};
    const key = document.getElementById('pub-key').value;
    if (key !== '') record.key = key;
    try {
      const headers = this.headers();
      if (Object.keys(headers).length) record.headers = headers;
    } catch (e) {
      this.fail(document.getElementById('pub-headers'), e.message);
      return;
    }
    if (this.format() === 'json') {
      try {
        record.value = JSON.parse(this.value.value);
      } catch (e) {
        this.fail(this.value, `The value is not valid JSON: ${e.message}. Fix it, or send it as text.`);
        return;
      }
    } else {
      record.text = this.value.value;
    }
    const button = document.getElementById('pub-send');
    button.disabled = true;
    this.result.className = 'msg';
    this.result.textContent = 'Publishing…';
    try {
      const ack = await this.client.publish(topic, record);
      this.result.className = 'msg ok';
      this.result.dataset.partition = ack.partition;
      this.result.dataset.offset = ack.offset;
      this.result.textContent = `Acknowledged: ${ack.topic}, partition ${ack.partition}, offset ${ack.offset}.`;
    } catch (e) {
      this.result.className = 'msg bad';
      delete this.result.dataset.partition;
      delete this.result.dataset.offset;
      this.result.textContent = `Not published: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  }
}
