// Plain, line-oriented output: readable in a terminal and in CI logs alike.
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
