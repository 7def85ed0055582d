/**
 * Reads what the stack's SMTP server (Mailpit) received, over its HTTP API (`MAILPIT_URL`):
 * for tests and the benchmark, which check the mail that really left.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedMail {
  id: string;
  subject: string;
  from: string;
  to: string[];
  /** When Mailpit accepted it (ms precision). */
  created: Date;
  text: string;
  html: string;
  messageId: string;
}

interface Summary {
  ID: string;
  MessageID: string;
  Subject: string;
  Created: string;
  From: { Address: string; Name: string };
  To: { Address: string }[];
}

export class Mailpit {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  /** Summaries of the messages to an address, newest first. */
  async summariesTo(address: string): Promise<Summary[]> {
    const query = new URLSearchParams({ query: `to:"${address}"`, limit: '200' });
    const response = await fetch(`${this.url}/api/v1/search?${query}`);
    if (!response.ok) throw new Error(`mailpit search: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { messages: Summary[] }).messages;
  }

  async read(summary: Summary): Promise<ReceivedMail> {
    const response = await fetch(`${this.url}/api/v1/message/${summary.ID}`);
    if (!response.ok) throw new Error(`mailpit message: ${response.status}`);
    const full = (await response.json()) as { Text: string; HTML: string };
    return {
      id: summary.ID,
      subject: summary.Subject,
      from: summary.From.Address,
      to: summary.To.map((t) => t.Address),
      created: new Date(summary.Created),
      text: full.Text,
      html: full.HTML,
      messageId: summary.MessageID,
    };
  }

  /** Every message to the address, once at least `count` arrived (or throws after the timeout). */
  async waitForMail(address: string, { count = 1, timeoutMs = 15_000 } = {}): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.summariesTo(address);
      if (found.length >= count) return Promise.all(found.map((s) => this.read(s)));
      if (Date.now() > deadline)
        throw new Error(`mailpit: ${found.length} of ${count} mails to ${address} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Deletes the messages to the address (a test's cleanup). */
  async deleteTo(address: string): Promise<void> {
    const ids = (await this.summariesTo(address)).map((s) => s.ID);
    if (ids.length === 0) return;
    await fetch(`${this.url}/api/v1/messages`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ IDs: ids }),
    });
  }
}
