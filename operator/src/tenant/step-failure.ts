/**
 * Turns an error thrown by a step into a condition a person can act on: "KafkaUnavailable: connect
 * ECONNREFUSED 127.0.0.1:1" says what to look at; a stack trace would not. Secrets never reach
 * the message (steps never put them in errors; driver errors do not echo passwords).
 */
import type { StepOutcome } from './step.ts';

const STORE_OF_STEP: Record<string, string> = {
  Registry: 'Mongo',
  Mongo: 'Mongo',
  Redis: 'Redis',
  KafkaTopics: 'Kafka',
  KafkaPrincipal: 'Kafka',
  Bucket: 'S3',
  S3User: 'S3',
  SearchIndex: 'Elasticsearch',
  Keys: 'Keyring',
  Invitations: 'AuthService',
  Credentials: 'Kubernetes',
  Runtime: 'Redis',
};

const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|timed? ?out|Connection (error|closed|timeout)|connect|Server selection|broker.*(not|un)available|retries exceeded|max retries per request|NetworkError/i;

function describe(error: unknown): string {
  if (error instanceof AggregateError || (error as { errors?: unknown[] }).errors) {
    const inner = (error as { errors?: unknown[] }).errors ?? [];
    const first = inner[0];
    const base = (error as Error).message;
    return first ? `${base} (${describe(first)})` : base;
  }
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error
      ? `${error.name}: ${error.message} (${cause.message})`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

export function stepFailure(step: string, error: unknown): StepOutcome {
  const store = STORE_OF_STEP[step] ?? step;
  const message = describe(error);
  const reason = UNREACHABLE.test(message) ? `${store}Unavailable` : `${store}Error`;
  return { status: 'False', reason, message: `${step} failed: ${message}` };
}

export class StepTimeoutError extends Error {
  constructor(step: string, ms: number) {
    super(`${step} did not finish within ${ms} ms (timed out)`);
    this.name = 'StepTimeoutError';
  }
}

/** Bounds a step so one hanging store cannot hold a worker forever. */
export async function withTimeout<T>(step: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(step, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
