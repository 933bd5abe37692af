import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalHost, type LocalHost, type RegisteredFunction } from './localHost';
import { NO_LOCAL_SETTINGS, resolveBindingExpression } from './settings';

/**
 * `npm run serve`: the local Functions host on PORT (default 7071; 0 = a free port), for the app in the current folder
 * (as `func start` does).
 *
 * This process plays the worker process Azure starts with the app settings as its environment variables. So this is
 * the one place that writes settings into `process.env`: local.settings.json `Values` fill in what the environment does
 * not already set (environment first, as Core Tools does), BEFORE the app is loaded, so the app and the host read the
 * same settings. Everything else only reads the environment. With `--no-local-settings` (how spawnLocalHost starts it
 * for the tests, the benchmark and the load run) the file is not read: the environment is all.
 */
function applyLocalSettings(appRoot: string): string | undefined {
  const file = path.join(appRoot, 'local.settings.json');
  if (!existsSync(file)) return undefined;
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  for (const [key, value] of Object.entries(values)) {
    if (process.env[key] !== undefined || value === null || value === undefined) continue;
    process.env[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return file;
}

function describeTrigger(host: LocalHost, fn: RegisteredFunction): string {
  switch (fn.trigger) {
    case 'http':
      return `[${fn.methods!.join(',')}] ${host.url}/api/${fn.route}`;
    case 'eventGrid':
      return `${host.url}/runtime/webhooks/eventgrid?functionName=${fn.name}`;
    case 'timer':
      return `timer ${fn.schedule} (run now: POST ${host.url}/admin/functions/${fn.name})`;
    case 'storageQueue':
      return `queue ${queueNameOf(fn.queueName!)} (connection ${fn.connection})`;
    default:
      return fn.trigger;
  }
}

function queueNameOf(registered: string): string {
  try {
    const resolved = resolveBindingExpression(registered, process.env).toLowerCase();
    return resolved === registered ? resolved : `${resolved} (${registered})`;
  } catch {
    return `${registered} (unresolved)`;
  }
}

async function main(): Promise<void> {
  const appRoot = process.cwd();
  const settingsFile = process.argv.includes(NO_LOCAL_SETTINGS) ? undefined : applyLocalSettings(appRoot);
  const host = await startLocalHost({ appRoot });
  if (settingsFile) console.log(`Settings: the environment, then ${settingsFile} Values`);
  console.log('Functions:');
  for (const fn of host.functions) console.log(`  ${fn.name}: ${describeTrigger(host, fn)}`);
  // NOTE: last, so whoever waits for this line has the listing already (test/helpers/hostProcess.ts, dev/start.ts).
  console.log(`Host listening on ${host.url}`);
  const stop = () => void host.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
