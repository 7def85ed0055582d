/**
 * Hands messages to the SMTP server through nodemailer (pooled connections, STARTTLS when offered)
 * and says what the server made of each: accepted, refused for good (a 5xx: the recipient —
 * `bounced` — or the message — `rejected`), or failed for now (a 4xx, a dropped connection, a
 * timeout), which is worth retrying. nodemailer because it is the Node mailer everyone keeps
 * using: SMTP pipelining, pooling, TLS, DSN and the MIME building are all its job, not ours.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Derived from the event id: a redelivered event's second copy has the same Message-ID. */
  messageId: string;
}

export type SendOutcome =
  | { outcome: 'sent'; response: string }
  | { outcome: 'bounced' | 'rejected'; response: string }
  | { outcome: 'failed'; response: string };

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendOutcome>;
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  username?: string | undefined;
  password?: string | undefined;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** What an SMTP failure means for the mail (exported for the unit test). */
export function classifySmtpError(error: SmtpError): SendOutcome {
  const response = (error.response ?? error.message).slice(0, 300);
  const code = error.responseCode;
  if (code !== undefined && code >= 500 && code < 600) {
    const recipient = error.code === 'EENVELOPE' || /^RCPT/i.test(error.command ?? '');
    return { outcome: recipient ? 'bounced' : 'rejected', response };
  }
  return { outcome: 'failed', response };
}

export class SmtpTransport implements MailTransport {
  readonly #transporter: Transporter<SMTPPool.SentMessageInfo>;

  constructor(options: SmtpOptions) {
    this.#transporter = nodemailer.createTransport({
      pool: true,
      maxConnections: 4,
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: options.requireTls,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      ...(options.username ? { auth: { user: options.username, pass: options.password ?? '' } } : {}),
    });
  }

  async send(mail: OutgoingMail): Promise<SendOutcome> {
    try {
      const info = await this.#transporter.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        // RFC 3834: no vacation auto-replies to these.
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      if (info.accepted.length === 0) return { outcome: 'bounced', response: info.response };
      return { outcome: 'sent', response: info.response };
    } catch (error) {
      return classifySmtpError(error as SmtpError);
    }
  }

  async verify(): Promise<void> {
    await this.#transporter.verify();
  }

  close(): void {
    this.#transporter.close();
  }
}
