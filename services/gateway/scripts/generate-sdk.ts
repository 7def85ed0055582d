/**
 * Regenerates packages/sdk from the gateway's OpenAPI document: `npm run generate-sdk -w
 * services/gateway`. Writes the document (packages/sdk/openapi.json) and its TypeScript types
 * (packages/sdk/src/generated/api.ts, by openapi-typescript); the drift test
 * (src/sdk-drift.test.ts) fails while either differs from what this would write.
 */
import { writeFile } from 'node:fs/promises';
import { sdkFiles } from '../src/sdk-files.ts';

for (const file of await sdkFiles()) {
  await writeFile(file.path, file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}
