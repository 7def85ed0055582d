import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_LINK_SECRET, linkSecretOf } from '../settings.ts';
import { DownloadLinks } from './download-links.ts';

describe('download link secret', () => {
  it('refuses the public default outside development, and a short secret anywhere', () => {
    expect(() =>
      linkSecretOf({ PARLEY_ENV: 'production', MEDIA_LINK_SECRET: DEVELOPMENT_LINK_SECRET }),
    ).toThrow(/MEDIA_LINK_SECRET/);
    expect(linkSecretOf({ PARLEY_ENV: 'development', MEDIA_LINK_SECRET: DEVELOPMENT_LINK_SECRET })).toBe(
      DEVELOPMENT_LINK_SECRET,
    );
    expect(() => new DownloadLinks({ secret: 'short', ttlSeconds: 60 })).toThrow(/32/);
  });

  it('verifies what it signs, and a link ends at its expiry', () => {
    let now = 1_800_000_000_000;
    const links = new DownloadLinks({ secret: 'a'.repeat(32), ttlSeconds: 60, now: () => now });
    const { token } = links.sign({ tenant: 'acme', userId: 'bob', roles: ['member'] }, 'm1');
    expect(links.verify(token)).toMatchObject({ tenant: 'acme', userId: 'bob', mediaId: 'm1' });
    now += 60_000;
    expect(links.verify(token)).toBe('expired');
  });
});
