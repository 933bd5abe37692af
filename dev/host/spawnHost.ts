import { spawn, type ChildProcess } from 'node:child_process';
import { devBuild } from '../repoRoot';
import { NO_LOCAL_SETTINGS } from './settings';

/**
 * The local host in its own process (`node dist-dev/dev/host/serve.js`, what `npm run serve` runs), like the worker
 * process Azure starts: its settings are its environment. Used by `npm start`, the benchmark, the load run and tests,
 * whose module systems must not load the app (jest's bypasses the @azure/functions-core stand-in).
 */

export interface SpawnHostOptions {
  /** The app's root; the host's working folder (its host.json, and its local.settings.json if `localSettings`). */
  appRoot: string;
  /** Settings over this process's environment. */
  env?: Record<string, string>;
  /**
   * Also take settings from the app root's local.settings.json `Values` (for names the environment does not set), as
   * `npm run serve` does. Default false: the host gets exactly `env` over this process's environment, whatever file
   * a developer keeps in the app root.
   */
  localSettings?: boolean;
  /** Default 0: a free port. */
  port?: number;
  /**
   * Options for node itself, before the script (e.g. `--cpu-prof` for the benchmark's profiles). NOTE: not through
   * NODE_OPTIONS, which refuses `--cpu-prof` ("is not allowed in NODE_OPTIONS").
   */
  nodeArgs?: string[];
  /** How long the host may take to print 'Host listening on'; default 30 s. Then it is killed. */
  startTimeoutMs?: number;
  /** Every line the host prints, as it prints it. */
  onLine?: (line: string) => void;
}

export interface HostProcess {
  url: string;
  child: ChildProcess;
  /** The function names the host listed at start-up. */
  functions: string[];
  /** Every line the host printed so far. */
  lines: string[];
  /** The first line (printed so far or later) that matches; rejects after `timeoutMs` or when the host exits. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM: the host stops polling, finishes what runs, and exits. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
}

const SERVE = devBuild('dev', 'host', 'serve.js');

export async function spawnLocalHost(options: SpawnHostOptions): Promise<HostProcess> {
  const args = [...(options.nodeArgs ?? []), ...(options.localSettings ? [SERVE] : [SERVE, NO_LOCAL_SETTINGS])];
  const child = spawn(process.execPath, args, {
    cwd: options.appRoot,
    env: { ...process.env, PORT: String(options.port ?? 0), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const onText = (() => {
    const partial = new Map<unknown, string>();
    return (stream: unknown, data: Buffer) => {
      const pieces = ((partial.get(stream) ?? '') + data.toString('utf8')).split('\n');
      partial.set(stream, pieces.pop()!);
      for (const line of pieces.filter(Boolean)) {
        lines.push(line);
        options.onLine?.(line);
        for (const watcher of [...watchers]) watcher(line);
      }
    };
  })();
  child.stdout.on('data', (data: Buffer) => onText(child.stdout, data));
  child.stderr.on('data', (data: Buffer) => onText(child.stderr, data));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const done = (finish: () => void) => {
        clearTimeout(timer);
        watchers.delete(watch);
        finish();
      };
      const watch = (line: string) => pattern.test(line) && done(() => resolve(line));
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`no host line matched ${pattern} in ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`)),
          ),
        timeoutMs,
      );
      watchers.add(watch);
      void exited.then((code) =>
        done(() =>
          reject(new Error(`the host exited (${code}) before printing ${pattern}:\n${lines.slice(-40).join('\n')}`)),
        ),
      );
    });
  };

  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  let listening: string;
  try {
    listening = await waitForLine(/^Host listening on (http:\/\/\S+)/, options.startTimeoutMs);
  } catch (error) {
    await signal('SIGKILL'); // NOTE: a host that never came up must not outlive the caller.
    throw error;
  }
  const url = /^Host listening on (http:\/\/\S+)/.exec(listening)![1]!;
  const listingStart = lines.indexOf('Functions:');
  const functions = lines
    .slice(listingStart + 1, lines.indexOf(listening))
    .map((l) => /^ {2}([^:\s]+): /.exec(l)?.[1])
    .filter((name): name is string => name !== undefined);
  return {
    url,
    child,
    functions,
    lines,
    waitForLine,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}
