import { describe, expect, it } from 'vitest';
import { tokenOfLink } from './mail-links.ts';
import { classifySmtpError } from './mail-sender.ts';
import { renderMail } from './mail-templates.ts';

const invitation = {
  kind: 'invitation' as const,
  requestId: '7c0c5f43-0f6e-4a59-9c1d-3c1a7f1e2b11',
  to: 'omar@example.com',
  token: '7c0c5f43-0f6e-4a59-9c1d-3c1a7f1e2b11.secret+/=',
  roles: ['member', 'admin'],
  expiresAt: '2026-12-09T10:00:00.000Z',
};

describe('mail templates', () => {
  it('renders the text and HTML parts in the tenant name and language, the link carrying the token', () => {
    const mail = renderMail(
      invitation,
      { name: 'Acme & Co', language: 'en' },
      { tenant: 'acme', webUrl: 'https://chat.example/' },
    );
    expect(mail.subject).toBe('You are invited to Acme & Co on Parley');
    expect(mail.link).toMatch(/^https:\/\/chat\.example\/#\/invitation\?tenant=acme&token=/);
    expect(tokenOfLink(mail.link)).toBe(invitation.token);
    expect(mail.text).toContain('(member, admin)');
    expect(mail.text).toContain(`Accept the invitation: ${mail.link}`);
    expect(mail.text).toContain('December 9, 2026');
    // Every value is escaped in HTML: a tenant name cannot inject markup.
    expect(mail.html).toContain('Acme &amp; Co');
    expect(mail.html).not.toContain('Acme & Co');
    expect(mail.html).toContain(`href="${mail.link.replace(/&/g, '&amp;')}"`);

    const de = renderMail(
      invitation,
      { name: 'Acme', language: 'de' },
      { tenant: 'acme', webUrl: 'https://chat.example' },
    );
    expect(de.subject).toBe('Einladung zu Acme auf Parley');
    expect(de.html).toContain('<html lang="de">');
    expect(de.text).toContain('9. Dezember 2026');
  });

  it('escapes a hostile display name and logo URL in HTML', () => {
    const mail = renderMail(
      { ...invitation, kind: 'password-reset', displayName: '<script>alert(1)</script>' },
      { name: 'Acme', language: 'en', logoUrl: 'https://cdn.example/logo.png?a="b"' },
      { tenant: 'acme', webUrl: 'https://chat.example' },
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).toContain('src="https://cdn.example/logo.png?a=&quot;b&quot;"');
    expect(mail.text).toContain('Hello <script>alert(1)</script>,');
  });

  it('greets without a name when none was given, and a notice carries no token', () => {
    const mail = renderMail(
      { kind: 'account-exists', requestId: 'x', to: 'a@example.com', expiresAt: invitation.expiresAt },
      { name: 'Acme', language: 'fr' },
      { tenant: 'acme', webUrl: 'https://chat.example' },
    );
    expect(mail.text.startsWith('Bonjour,')).toBe(true);
    expect(tokenOfLink(mail.link)).toBeUndefined();
    expect(mail.link).toBe('https://chat.example/#/sign-in?tenant=acme');
  });
});

describe('what an SMTP failure means', () => {
  it('a 5xx on the recipient is a bounce, on the message a rejection, a 4xx or a dropped connection worth retrying', () => {
    expect(
      classifySmtpError(
        Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }),
      ).outcome,
    ).toBe('bounced');
    expect(
      classifySmtpError(
        Object.assign(new Error('x'), { code: 'EMESSAGE', responseCode: 554, command: 'DATA' }),
      ).outcome,
    ).toBe('rejected');
    expect(
      classifySmtpError(
        Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }),
      ).outcome,
    ).toBe('failed');
    expect(
      classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' })).outcome,
    ).toBe('failed');
  });
});
