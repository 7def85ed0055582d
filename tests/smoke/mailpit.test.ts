// The stack's SMTP server accepts a message and lists it, with its body, over Mailpit's API: what
// the notifier's tests rely on to read the mail it sent.
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

interface MailpitList {
  messages: { ID: string; Subject: string; To: { Address: string }[] }[];
}

describe('mail (Mailpit)', () => {
  it('accepts a message over SMTP and lists it over its API', async () => {
    const to = `smoke-${uniqueSuffix()}@example.test`;
    const transport = nodemailer.createTransport({
      host: stackSetting('SMTP_HOST'),
      port: Number(stackSetting('SMTP_PORT')),
      secure: false,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      from: 'parley@example.test',
      to,
      subject: 'hello mail',
      text: 'hello from the smoke test',
    });
    transport.close();
    expect(info.accepted).toEqual([to]);

    const api = stackSetting('MAILPIT_URL');
    const search = await fetch(`${api}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`);
    expect(search.status).toBe(200);
    const { messages } = (await search.json()) as MailpitList;
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Subject).toBe('hello mail');
    const message = (await (await fetch(`${api}/api/v1/message/${messages[0]?.ID}`)).json()) as {
      Text: string;
    };
    expect(message.Text.trim()).toBe('hello from the smoke test');
    await fetch(`${api}/api/v1/messages`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ IDs: [messages[0]?.ID] }),
    });
  });
});
