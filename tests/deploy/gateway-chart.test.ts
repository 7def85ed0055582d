// The gateway reads one address per service behind it (its settings schema); its chart must set
// each to this release's Service. Each side alone would pass with a setting left out: the
// default (127.0.0.1) then sends a deployed gateway's media uploads and websockets nowhere.
import { gatewaySettingsSchema } from '@parley/gateway-service/settings';
import { redisSettings } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { containers, type Manifest, render } from './helm.ts';

const registry = 'image.registry=registry.example';

function gatewayEnv(manifests: Manifest[]): Record<string, string | undefined> {
  const deployment = manifests.find((m) => m.kind === 'Deployment');
  const env = (containers(deployment as Manifest)[0]?.env ?? []) as { name: string; value?: string }[];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

describe('the gateway chart', () => {
  it('points every upstream address the gateway reads at this release’s services', async () => {
    const env = gatewayEnv(await render('gateway', { release: 'chat', set: [registry] }));
    // Store addresses (REDIS_URL) come from the connections Secret; the rest are services.
    const upstreams = Object.keys(gatewaySettingsSchema.properties).filter(
      (name) => /_URLS?$/.test(name) && !(name in redisSettings),
    );
    expect(upstreams).toEqual(expect.arrayContaining(['MEDIA_URL', 'SOCKET_URLS']));
    for (const name of upstreams) {
      expect(env[name], name).toMatch(/^http:\/\/chat-[a-z]+:\d+$/);
    }
    expect(env.MEDIA_URL).toBe('http://chat-media:3005');
    expect(env.SOCKET_URLS).toBe('http://chat-socket:3002');
  });
});
