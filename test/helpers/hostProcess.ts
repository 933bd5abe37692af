import { createServer } from 'node:net';
import { spawnLocalHost, type HostProcess } from '../../dev/host/spawnHost';

export type { HostProcess } from '../../dev/host/spawnHost';

/**
 * `node dist-dev/dev/host/serve.js` in a child process (npm test builds dist first): the app loads through the
 * @azure/functions-core stand-in exactly as it does for `npm run serve`, outside jest's module system. `env` is the
 * app's settings (the child's environment, over this process's; local.settings.json is not read); the host picks a
 * free port.
 *
 * Settings that must name the host's own URL (a callback URL) take `env` as a function of the port: the host is then
 * started on a port that was free a moment ago, and if something else took it before the host could bind it
 * (EADDRINUSE), on another one, with the settings made again for that port.
 */
export async function startHostProcess(
  appRoot: string,
  env: Record<string, string> | ((port: number) => Record<string, string>) = {},
): Promise<HostProcess> {
  if (typeof env !== 'function') return spawnLocalHost({ appRoot, env });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await spawnLocalHost({ appRoot, port, env: env(port) });
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}

/** A TCP port on loopback that was free a moment ago (nothing keeps it free: see startHostProcess). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
