import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { repoRoot } from '../repoRoot';
import { handleAdmin } from './adminApi';
import { loadApp } from './appLoader';
import { coreStandIn } from './coreStandIn';
import { handleEventGridWebhook } from './eventGridTrigger';
import { hostLog, toRegisteredFunction, type HostState, type RegisteredFunction } from './hostState';
import { handleHttpTrigger } from './httpTriggers';
import { send, sendJson } from './httpUtil';
import { indexFunctions } from './indexing';
import { loadKeys } from './keys';
import { startQueueListeners } from './queueTrigger';
import { readHostJson } from './settings';
import { invokeTimer, startTimers } from './timerTrigger';

export type { RegisteredFunction } from './hostState';

/**
 * A small local Functions host: loads the compiled app through the `@azure/functions-core` stand-in, exactly as the
 * Node worker does, and serves its registrations with the real host's URL layout: HTTP triggers at /api/<route>,
 * Event Grid triggers at /runtime/webhooks/eventgrid?functionName=NAME, timer triggers on their schedule, Storage
 * queue triggers by polling their queue, and the admin API (/admin/host/status, POST /admin/functions/NAME).
 * Handlers run through `@azure/functions`' own invocation model, so they receive the real HttpRequest and
 * InvocationContext classes, converted from the same RPC shapes the worker hands them.
 *
 * Settings are the process environment, read only (in Azure the app settings are the worker's environment;
 * `serve.ts` puts local.settings.json there before this runs). Keys are enforced only when configured (keys.ts).
 */

export interface LocalHostOptions {
  /** The app's root (package.json with `main`, host.json); default: this repository. */
  appRoot?: string;
  /** 0 = a free port; default PORT or 7071. */
  port?: number;
  /** Run timer triggers on their schedule (default true). */
  timers?: boolean;
  /** Poll the queues of queue triggers (default true). */
  queues?: boolean;
  log?: (line: string) => void;
}

export interface LocalHost {
  url: string;
  /** Every function loaded and not disabled, those in error included. */
  functions: RegisteredFunction[];
  /** The functions in error and why, as the host reports them (they never run). */
  functionErrors: ReadonlyMap<string, string[]>;
  invokeTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const appRoot = path.resolve(options.appRoot ?? repoRoot());
  const env = process.env;
  const loaded = loadApp(appRoot);
  // NOTE: the real host's switch, an app setting per function: https://learn.microsoft.com/azure/azure-functions/disable-function
  const disabled = (name: string) => /^(true|1)$/i.test(env[`AzureWebJobs.${name}.Disabled`]?.trim() ?? '');
  const functions = loaded.filter((f) => !disabled(f.name));
  const model = coreStandIn.getProgrammingModel();
  if (!model) throw new Error('The app did not set a programming model: is @azure/functions v4 installed?');
  const state: HostState = {
    appRoot,
    env,
    hostJson: readHostJson(appRoot, env),
    functions,
    model,
    keys: loadKeys(env),
    functionErrors: new Map(),
    write: options.log ?? ((line: string) => console.log(line)),
  };
  for (const f of loaded) if (disabled(f.name)) hostLog(state, `Function '${f.name}' is disabled`);
  indexFunctions(state);

  const server = createServer((req, res) => {
    route(state, req, res).catch((error: unknown) => {
      hostLog(state, `host: ${error instanceof Error ? error.message : String(error)}`, 'Error');
      if (!res.headersSent) send(res, 500, undefined);
      else res.destroy();
    });
  });
  const port = options.port ?? Number(env.PORT ?? 7071);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;

  const stopTimers = options.timers !== false ? startTimers(state) : () => undefined;
  let stopQueues: () => Promise<void>;
  try {
    stopQueues = options.queues !== false ? startQueueListeners(state) : async () => undefined;
  } catch (error) {
    stopTimers();
    await closeServer();
    throw error;
  }

  return {
    url,
    functions: functions.map(toRegisteredFunction),
    functionErrors: state.functionErrors,
    invokeTimer: (name) => invokeTimer(state, name),
    stop: async () => {
      stopTimers();
      await Promise.all([closeServer(), stopQueues()]);
    },
  };
}

async function route(state: HostState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  if (url.pathname.toLowerCase() === '/runtime/webhooks/eventgrid')
    return handleEventGridWebhook(state, req, res, url, method);
  if (url.pathname.startsWith('/admin/')) return handleAdmin(state, req, res, url, method);
  if (url.pathname.startsWith('/api/')) return handleHttpTrigger(state, req, res, url, method);
  if (url.pathname === '/') return sendJson(res, 200, { state: 'Running' });
  return send(res, 404, undefined);
}
