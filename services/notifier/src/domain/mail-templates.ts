/**
 * A mail request and its tenant's branding become a message: subject, a plain-text part and an
 * HTML part (the same words; every value HTML-escaped in the latter, since names and addresses
 * come from people), in the tenant's language.
 */
import { MAIL_CATALOG } from './mail-catalog.ts';
import { mailLink } from './mail-links.ts';
import type { MailRequest } from './mail-requests.ts';
import type { TenantBranding } from './tenant-branding.ts';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  link: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function renderMail(
  request: MailRequest,
  branding: TenantBranding,
  options: { tenant: string; webUrl: string },
): RenderedMail {
  const words = MAIL_CATALOG[branding.language][request.kind];
  const link = mailLink(options.webUrl, request.kind, options.tenant, request.token);
  const expires = `${new Intl.DateTimeFormat(branding.language, {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
    // dateStyle cannot be combined with timeZoneName: every time in mail is UTC, and says so.
  }).format(new Date(request.expiresAt))} UTC`;
  const values = {
    tenant: branding.name,
    // A greeting with a name only where one was given ("Hello ," otherwise).
    name: request.displayName ?? '',
    expires,
    roles: (request.roles ?? []).join(', '),
    device: request.device ?? '',
  };
  const greeting = fill(words.greeting, values).replace(/\s+,/, ',');
  const paragraphs = words.paragraphs.map((p) => fill(p, values));
  const subject = fill(words.subject, values);
  const action = fill(words.action, values);
  const notYou = fill(words.notYou, values);

  const text = [
    greeting,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    `${action}: ${link}`,
    '',
    notYou,
    '',
    `— ${branding.name}`,
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${e(branding.language)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(subject)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328;max-width:36rem;margin:0 auto;padding:1.5rem">
${branding.logoUrl ? `<p><img src="${e(branding.logoUrl)}" alt="${e(branding.name)}" height="40"></p>\n` : ''}<p>${e(greeting)}</p>
${paragraphs.map((p) => `<p>${e(p)}</p>`).join('\n')}
<p><a href="${e(link)}" style="display:inline-block;padding:.6rem 1.1rem;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none">${e(action)}</a></p>
<p style="font-size:.85rem;color:#57606a">${e(notYou)}<br>${e(link)}</p>
<p style="font-size:.85rem;color:#57606a">— ${e(branding.name)}</p>
</body>
</html>
`;
  return { subject, text, html, link };
}
