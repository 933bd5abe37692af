import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const SERVE = path.join(__dirname, '..', '..', 'dist', 'dev', 'host', 'serve.js');

export interface HostProcess {
  url: string;
  child: ChildProcess;
  /** Every line the host printed so far. */
  lines: string[];
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
}

/**
 * `node dist/dev/host/serve.js` in a child process (npm test builds dist first): the app loads through the
 * @azure/functions-core stand-in exactly as it does for `npm run serve`, outside jest's module system.
 */
export async function startHostProcess(appRoot: string, env: Record<string, string> = {}): Promise<HostProcess> {
  const child = spawn(process.execPath, [SERVE], {
    cwd: appRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${lines.join('\n')}`)), 30_000);
    const onLine = (data: Buffer) => {
      for (const line of data.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /Host listening on (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    child,
    lines,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
