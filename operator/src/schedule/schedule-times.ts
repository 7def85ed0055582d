/**
 * Time arithmetic for schedules: cron expressions through croner (UTC, 5 or 6 fields, the same
 * syntax the CRDs validate), Go-style durations ("720h", "1h30m") as the KeyRotationSchedule
 * period, and retention ages ("90d", "720h").
 */
import { Cron } from 'croner';

function cron(pattern: string): Cron {
  return new Cron(pattern, { timezone: 'UTC', paused: true });
}

/** The latest tick at or before `now`, or undefined when the pattern never fired before. */
export function latestCronTick(pattern: string, now: Date): Date | undefined {
  const [tick] = cron(pattern).previousRuns(1, new Date(now.getTime() + 1));
  return tick;
}

export function nextCronTick(pattern: string, now: Date): Date | undefined {
  return cron(pattern).nextRun(now) ?? undefined;
}

export function isValidCron(pattern: string): boolean {
  try {
    cron(pattern);
    return true;
  } catch {
    return false;
  }
}

const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export function parseGoDuration(text: string): number {
  const match = GO_DURATION.exec(text);
  if (!match || text === '') throw new Error(`Invalid duration ${JSON.stringify(text)}`);
  const [, h = '0', m = '0', s = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/** "90d" or "720h" (RetentionPolicy maxAge) in milliseconds. */
export function parseAge(text: string): number {
  const match = /^([1-9][0-9]*)(h|d)$/.exec(text);
  if (!match) throw new Error(`Invalid age ${JSON.stringify(text)}`);
  return Number(match[1]) * (match[2] === 'd' ? 24 : 1) * 3600_000;
}
