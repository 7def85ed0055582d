/**
 * packages/sdk is generated from this gateway's OpenAPI document: this fails while the committed
 * document or types differ from what `npm run generate-sdk -w services/gateway` would write now,
 * so a route changed here cannot leave the SDK (and the web client) behind.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_DIR, sdkFiles } from './sdk-files.ts';

describe('packages/sdk', () => {
  it('holds exactly what the generator makes of the current OpenAPI document', async () => {
    for (const file of await sdkFiles()) {
      const committed = await readFile(file.path, 'utf8').catch(() => '');
      expect(
        committed === file.content,
        `${relative(SDK_DIR, file.path)} is stale: run npm run generate-sdk -w services/gateway`,
      ).toBe(true);
    }
  });
});
