// Runs a foreground child with the terminal, passing Ctrl-C through, and returns its exit code.
import { spawn } from 'node:child_process';

export function runChild(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: 'inherit' });
    // The terminal already sends SIGINT to the whole foreground group; SIGTERM must be relayed.
    const relay = (signal: NodeJS.Signals) => child.kill(signal);
    const onSigint = () => {};
    process.on('SIGINT', onSigint); // keep running until the child is done, then clean up
    process.on('SIGTERM', relay);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', relay);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
