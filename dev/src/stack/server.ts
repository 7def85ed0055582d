// What the stack knows about each server: how to prepare its data, start it, and tell it is ready.
import type { Settings } from '../settings.ts';
import type { InstalledPaths } from './catalog.ts';

export interface StackContext {
  settings: Settings;
  installed: InstalledPaths;
  /** Connection settings of the whole stack (the `stack env` lines). */
  env: Record<string, string>;
}

export interface LaunchCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
}

export interface ServerDefinition {
  name: string;
  /** Servers that must answer before this one starts. */
  dependsOn: string[];
  /** Where it listens, for `stack status`. */
  endpoint(ctx: StackContext): string;
  /** Creates data dirs and config files; idempotent, runs before every start. */
  prepare(ctx: StackContext, dataDir: string): Promise<void>;
  command(ctx: StackContext, dataDir: string): LaunchCommand;
  /** Makes one real request; throws while the server is not ready. */
  probe(ctx: StackContext): Promise<void>;
  readyTimeoutMs: number;
  /** The signal that asks for a quick clean exit (PostgreSQL's SIGTERM waits for clients). */
  stopSignal?: NodeJS.Signals;
}
