import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { coreStandIn, installCoreStandIn, type Registration } from './coreStandIn';
import type { LoadedFunction } from './hostState';

/** The methods an HTTP trigger takes when it names none (the host's default: all of them). */
const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Requires every file `main` names (a glob like dist/functions/*.js) and returns what registered. */
export function loadApp(appRoot: string): LoadedFunction[] {
  installCoreStandIn();
  const pkg = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error(`${appRoot}/package.json has no "main": the host would not find any function`);
  // A fresh load: forget earlier copies of the app's own modules (not node_modules), so registrations happen again.
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(appRoot + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`))
      delete require.cache[id];
  }
  coreStandIn.registrations = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the app the way the worker does
  for (const file of expandMain(appRoot, pkg.main)) require(file);
  return coreStandIn.registrations.map(toLoadedFunction);
}

function expandMain(appRoot: string, main: string): string[] {
  if (!main.includes('*')) return [path.join(appRoot, main)];
  const dir = path.join(appRoot, path.dirname(main));
  const pattern = new RegExp(
    `^${path
      .basename(main)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run npm run build first`);
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Routes on the trigger binding's type, as the host does. */
function toLoadedFunction(registration: Registration): LoadedFunction {
  const entries = Object.entries(registration.metadata.bindings);
  const trigger = entries.find(([, b]) => b.direction === 'in' && b.type.toLowerCase().endsWith('trigger'));
  if (!trigger) throw new Error(`Function ${registration.metadata.name} has no trigger binding`);
  const [triggerName, binding] = trigger;
  const base = { registration, triggerName, triggerBinding: binding, name: registration.metadata.name };
  switch (binding.type.toLowerCase()) {
    case 'httptrigger':
      return {
        ...base,
        trigger: 'http',
        route: binding.route ?? registration.metadata.name,
        methods: (binding.methods ?? ALL_METHODS).map((m) => m.toUpperCase()),
        authLevel: binding.authLevel ?? 'function',
      };
    case 'eventgridtrigger':
      return { ...base, trigger: 'eventGrid' };
    case 'timertrigger':
      // NOTE: parsed when the host indexes it (indexing.ts): a schedule may be a %SETTING% expression, and a bad one
      // puts only this function in error.
      return { ...base, trigger: 'timer', schedule: String(binding.schedule) };
    case 'queuetrigger':
      return {
        ...base,
        trigger: 'storageQueue',
        queueName: typeof binding.queueName === 'string' ? binding.queueName : '',
        // NOTE: an empty connection means AzureWebJobsStorage, as in the Storage extension.
        connection:
          typeof binding.connection === 'string' && binding.connection ? binding.connection : 'AzureWebJobsStorage',
      };
    default:
      return { ...base, trigger: binding.type };
  }
}
