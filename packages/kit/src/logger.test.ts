import { describe, expect, it } from 'vitest';
import { createCapturingLogger } from './testing/index.ts';

describe('logger', () => {
  it('writes JSON with the service name and redacts secrets wherever they sit', () => {
    const { logger, lines } = createCapturingLogger('auth');
    logger.info({ password: 'hunter2', user: { refreshToken: 'r-1', email: 'a@b.c' } }, 'login');
    const [line] = lines();
    expect(line).toMatchObject({ service: 'auth', level: 'info', msg: 'login' });
    expect(JSON.stringify(line)).not.toContain('hunter2');
    expect(JSON.stringify(line)).not.toContain('r-1');
    expect(line?.user).toMatchObject({ email: 'a@b.c', refreshToken: '[redacted]' });
  });
});
