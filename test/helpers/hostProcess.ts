import { spawnLocalHost, type HostProcess } from '../../dev/host/spawnHost';

export type { HostProcess } from '../../dev/host/spawnHost';

/**
 * `node dist/dev/host/serve.js` in a child process (npm test builds dist first): the app loads through the
 * @azure/functions-core stand-in exactly as it does for `npm run serve`, outside jest's module system. `env` is the
 * app's settings (the child's environment, over this process's); the host picks a free port.
 */
export async function startHostProcess(appRoot: string, env: Record<string, string> = {}): Promise<HostProcess> {
  return spawnLocalHost({ appRoot, env });
}

/** Polls `probe` until it returns something other than undefined/false; rejects after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
