import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, mongoSettings, serviceSettings } from './config.ts';

const schema = Type.Object({ ...serviceSettings(3009), ...mongoSettings });
// The local stack's own setting: development, where the public default credentials are allowed.
const local = { PARLEY_ENV: 'development' };

describe('loadConfig', () => {
  it('fills every setting with its local default', () => {
    const config = loadConfig(schema, local);
    expect(config.PORT).toBe(3009);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.MONGO_URL).toMatch(/^mongodb:\/\//);
  });

  it('coerces numbers from their string form', () => {
    expect(loadConfig(schema, { ...local, PORT: '4000' }).PORT).toBe(4000);
  });

  it('names the variable that holds a wrong value', () => {
    expect(() => loadConfig(schema, { ...local, PORT: 'eighty' })).toThrowError(/PORT/);
    // Every wrong variable is named at once, not only the first; the call must throw to pass.
    const thrown = (() => {
      try {
        loadConfig(schema, { ...local, PORT: '70000', MONGO_URL: 'postgres://x' });
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variables.sort()).toEqual(['MONGO_URL', 'PORT']);
  });

  it('names a required variable that is missing', () => {
    const required = Type.Object({ MASTER_KEY_FILE: Type.String() });
    expect(() => loadConfig(required, {})).toThrowError(/MASTER_KEY_FILE: is required/);
  });

  it('lists the allowed values of an enumerated setting', () => {
    expect(() => loadConfig(schema, { ...local, LOG_LEVEL: 'loud' })).toThrowError(/LOG_LEVEL/);
  });
});

describe('a process started with a bad setting', () => {
  it('exits non-zero with a message naming the variable', async () => {
    const fixture = fileURLToPath(new URL('./testing/config-main.fixture.ts', import.meta.url));
    const run = promisify(execFile)(process.execPath, [fixture], {
      env: { ...process.env, PORT: 'not-a-port' },
    });
    await expect(run).rejects.toMatchObject({ code: 78, stderr: expect.stringMatching(/PORT/) });
  });
});
