/**
 * `npm run screenshots` and the README agree: every picture the README shows is one that a test
 * the command runs writes (and is committed), and every picture those tests write is shown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../settings.ts';
import { SCREENSHOT_TESTS } from './screenshots.ts';

const shownInReadme = () =>
  [
    ...readFileSync(join(repoRoot, 'README.md'), 'utf8').matchAll(/\(docs\/screenshots\/([\w-]+)\.png\)/g),
  ].map((match) => match[1] as string);

describe('npm run screenshots', () => {
  it('runs tests that write each picture they are said to write', () => {
    for (const [file, names] of Object.entries(SCREENSHOT_TESTS)) {
      const source = readFileSync(join(repoRoot, file), 'utf8');
      for (const name of names) expect(source, `${file} writes ${name}.png`).toContain(`'${name}.png'`);
    }
  });

  it('covers exactly the pictures the README shows, each committed', () => {
    const written = Object.values(SCREENSHOT_TESTS).flat().sort();
    expect(shownInReadme().sort()).toEqual(written);
    for (const name of written)
      expect(existsSync(join(repoRoot, 'docs', 'screenshots', `${name}.png`))).toBe(true);
  });
});
