import { startLocalHost } from './localHost';

/**
 * `npm run serve`: the local Functions host on PORT (default 7071; 0 = a free port), for the app in the current
 * folder (as `func start` does), configured from the environment and local.settings.json.
 */
async function main(): Promise<void> {
  const host = await startLocalHost({ appRoot: process.cwd() });
  console.log(`Host listening on ${host.url}`);
  for (const fn of host.functions) {
    const where =
      fn.trigger === 'http'
        ? `[${fn.methods!.join(',')}] ${host.url}/api/${fn.route}`
        : fn.trigger === 'eventGrid'
          ? `${host.url}/runtime/webhooks/eventgrid?functionName=${fn.name}`
          : fn.trigger === 'timer'
            ? `timer ${fn.schedule} (run now: POST ${host.url}/admin/functions/${fn.name})`
            : fn.trigger;
    console.log(`  ${fn.name}: ${where}`);
  }
  const stop = () => void host.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
