import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { coreStandIn, installCoreStandIn, type CoreBinding, type Registration } from './coreStandIn';
import { matches, parseSchedule, type Schedule } from './ncrontab';
import { matchRoute } from './routes';
import { repoRoot } from '../repoRoot';

/**
 * A small local Functions host: loads the compiled app through the `@azure/functions-core` stand-in, exactly as the
 * Node worker does, and serves its registrations with the real host's URL layout:
 * HTTP triggers at /api/<route>, Event Grid triggers at /runtime/webhooks/eventgrid?functionName=NAME (SPEC section 5),
 * timer triggers on their schedule and on demand at POST /admin/functions/NAME.
 * Handlers run through `@azure/functions`' own invocation model, so they receive the real HttpRequest and
 * InvocationContext classes, converted from the same RPC shapes the worker hands them.
 */

export interface LocalHostOptions {
  /** The app's root (package.json with `main`); default: this repository. */
  appRoot?: string;
  /** 0 = a free port; default PORT or 7071. */
  port?: number;
  /** Settings for the app, over the environment; local.settings.json `Values` fill in what is not set. */
  env?: Record<string, string>;
  /** Run timer triggers on their schedule (default true). */
  timers?: boolean;
  log?: (line: string) => void;
}

export interface RegisteredFunction {
  name: string;
  /** 'http', 'eventGrid', 'timer', or the binding type of any other trigger. */
  trigger: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
}

export interface LocalHost {
  url: string;
  functions: RegisteredFunction[];
  invokeTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 100 * 1024 * 1024; // the real host's default request size limit

interface LoadedFunction extends RegisteredFunction {
  registration: Registration;
  triggerName: string;
  triggerBinding: CoreBinding;
  parsedSchedule?: Schedule;
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const appRoot = path.resolve(options.appRoot ?? repoRoot());
  const log = options.log ?? ((line: string) => console.log(line));
  applySettings(appRoot, options.env ?? {});
  const functions = loadApp(appRoot);
  const model = coreStandIn.getProgrammingModel();
  if (!model) throw new Error('The app did not set a programming model: is @azure/functions v4 installed?');

  const invoke = async (fn: LoadedFunction, data: unknown, triggerMetadata: Record<string, unknown> = {}) => {
    const invocationId = randomUUID();
    const started = Date.now();
    const stamp = () => new Date().toISOString();
    log(`[${stamp()}] Executing '${fn.name}' (Id=${invocationId})`);
    const coreCtx = {
      invocationId,
      request: { inputData: [{ name: fn.triggerName, data }], triggerMetadata },
      metadata: fn.registration.metadata,
      state: undefined as string | undefined,
      log: (level: string, _category: string, message: string) =>
        log(`[${stamp()}] [${levelName(level)}] ${fn.name} (${invocationId}): ${message}`),
    };
    try {
      const invocation = model.getInvocationModel(coreCtx);
      const { context, inputs } = await invocation.getArguments();
      const result = await invocation.invokeFunction(context, inputs, fn.registration.callback);
      const response = await invocation.getResponse(context, result);
      log(`[${stamp()}] Executed '${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return response;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`[${stamp()}] [Error] ${fn.name} (${invocationId}): ${message}`);
      log(`[${stamp()}] Executed '${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      throw error;
    }
  };

  const invokeTimer = async (name: string, isPastDue = false) => {
    const fn = functions.find((f) => f.name === name && f.trigger === 'timer');
    if (!fn) throw new Error(`No timer function named ${name}`);
    const timer = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: isPastDue };
    await invoke(fn, { json: JSON.stringify(timer) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`[${new Date().toISOString()}] [Error] host: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, undefined);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/runtime/webhooks/eventgrid' || url.pathname === '/runtime/webhooks/EventGrid') {
      return eventGrid(req, res, url, method);
    }
    const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (admin && method === 'POST') {
      const fn = functions.find((f) => f.name.toLowerCase() === decodeURIComponent(admin[1]!).toLowerCase());
      if (!fn) return send(res, 404, undefined);
      await readBody(req);
      if (fn.trigger === 'timer') void invokeTimer(fn.name).catch(() => undefined);
      else return send(res, 400, undefined);
      return send(res, 202, undefined);
    }
    if (url.pathname === '/' || url.pathname === '/admin/host/status') {
      return send(
        res,
        200,
        Buffer.from(JSON.stringify({ state: 'Running', functions: functions.map((f) => f.name) })),
        {
          'content-type': 'application/json',
        },
      );
    }
    if (!url.pathname.startsWith('/api/')) return send(res, 404, undefined);
    const routePath = url.pathname.slice('/api/'.length);
    let allowedElsewhere = false;
    for (const fn of functions) {
      if (fn.trigger !== 'http') continue;
      const params = matchRoute(fn.route!, routePath);
      if (!params) continue;
      if (!fn.methods!.includes(method)) {
        allowedElsewhere = true;
        continue;
      }
      const body = await readBody(req);
      if (body === null) return send(res, 413, undefined);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
      }
      const query: Record<string, string> = {};
      for (const [key, value] of url.searchParams) query[key] = value;
      const http = {
        method,
        url: url.href,
        headers,
        query,
        params,
        body: { bytes: body },
        identities: [],
        cookies: [],
      };
      let response;
      try {
        response = await invoke(fn, { http }, { Query: query, Headers: headers, ...params });
      } catch {
        return send(res, 500, undefined);
      }
      return sendRpcHttp(res, response.returnValue);
    }
    return send(res, allowedElsewhere ? 405 : 404, undefined);
  }

  async function eventGrid(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const fn = functions.find((f) => f.trigger === 'eventGrid' && f.name.toLowerCase() === name.toLowerCase());
    if (!fn) return send(res, 404, undefined);
    if (method === 'OPTIONS') {
      const origin = header(req, 'webhook-request-origin') ?? '*';
      return send(res, 200, undefined, { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*' });
    }
    if (method !== 'POST') return send(res, 405, undefined);
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, undefined);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, Buffer.from('the body is not JSON'));
    }
    const contentType = header(req, 'content-type') ?? '';
    const eventType =
      header(req, 'aeg-event-type') ?? (contentType.includes('cloudevents') ? 'Notification' : undefined);
    switch (eventType) {
      case 'SubscriptionValidation': {
        const events = Array.isArray(body) ? body : [body];
        const validation = events.find(
          (e) => (e as { eventType?: string })?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent',
        ) as { data?: { validationCode?: string } } | undefined;
        const code = validation?.data?.validationCode;
        if (!code) return send(res, 400, Buffer.from('no validation code'));
        return send(res, 200, Buffer.from(JSON.stringify({ validationResponse: code })), {
          'content-type': 'application/json',
        });
      }
      case 'Notification': {
        const events = Array.isArray(body) ? body : [body];
        let failed = false;
        for (const event of events) {
          try {
            await invoke(fn, { json: JSON.stringify(event) });
          } catch {
            failed = true;
          }
        }
        return send(res, failed ? 500 : 202, undefined);
      }
      case 'Unsubscribe':
        return send(res, 202, undefined);
      default:
        return send(res, 400, Buffer.from(`unknown aeg-event-type '${eventType ?? ''}'`));
    }
  }

  const port = options.port ?? Number(process.env.PORT ?? 7071);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;

  const timers: NodeJS.Timeout[] = [];
  if (options.timers !== false) {
    for (const fn of functions.filter((f) => f.parsedSchedule)) {
      let last = -1;
      const timer = setInterval(() => {
        const now = new Date();
        const second = Math.floor(now.getTime() / 1000);
        if (second !== last && matches(fn.parsedSchedule!, now)) {
          last = second;
          void invokeTimer(fn.name).catch(() => undefined);
        }
      }, 250);
      timer.unref();
      timers.push(timer);
    }
  }

  return {
    url,
    functions: functions.map(({ name, trigger, route, methods, authLevel, schedule }) => ({
      name,
      trigger,
      ...(route !== undefined && { route }),
      ...(methods !== undefined && { methods }),
      ...(authLevel !== undefined && { authLevel }),
      ...(schedule !== undefined && { schedule }),
    })),
    invokeTimer: (name) => invokeTimer(name),
    stop: () =>
      new Promise<void>((resolve) => {
        timers.forEach(clearInterval);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

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
  return coreStandIn.registrations.map(describe);
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

function describe(registration: Registration): LoadedFunction {
  const entries = Object.entries(registration.metadata.bindings);
  const trigger = entries.find(([, b]) => b.direction === 'in' && b.type.toLowerCase().endsWith('trigger'));
  if (!trigger) throw new Error(`Function ${registration.metadata.name} has no trigger binding`);
  const [triggerName, binding] = trigger;
  const type = binding.type.toLowerCase();
  const base = { registration, triggerName, triggerBinding: binding, name: registration.metadata.name };
  if (type === 'httptrigger') {
    return {
      ...base,
      trigger: 'http',
      route: binding.route ?? registration.metadata.name,
      methods: (binding.methods ?? ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']).map((m) =>
        m.toUpperCase(),
      ),
      authLevel: binding.authLevel ?? 'function',
    };
  }
  if (type === 'eventgridtrigger') return { ...base, trigger: 'eventGrid' };
  if (type === 'timertrigger') {
    const schedule = String(binding.schedule);
    return { ...base, trigger: 'timer', schedule, parsedSchedule: parseSchedule(schedule) };
  }
  return { ...base, trigger: binding.type };
}

function applySettings(appRoot: string, env: Record<string, string>): void {
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  const file = path.join(appRoot, 'local.settings.json');
  if (!existsSync(file)) return;
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  for (const [key, value] of Object.entries(values)) if (process.env[key] === undefined) process.env[key] = value;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > MAX_BODY_BYTES) return null;
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

function sendRpcHttp(res: ServerResponse, value: unknown): void {
  const http = (
    value as
      | {
          http?: {
            statusCode?: string;
            headers?: Record<string, string>;
            body?: { bytes?: Uint8Array; string?: string };
          };
        }
      | undefined
  )?.http;
  if (!http) return send(res, 204, undefined);
  const body = http.body?.bytes
    ? Buffer.from(http.body.bytes)
    : http.body?.string !== undefined
      ? Buffer.from(http.body.string)
      : undefined;
  send(res, Number(http.statusCode ?? 200), body, http.headers ?? {});
}

function send(
  res: ServerResponse,
  status: number,
  body: Buffer | undefined,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'content-length': String(body?.length ?? 0) });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function levelName(level: string): string {
  const names: Record<string, string> = {
    trace: 'Trace',
    debug: 'Debug',
    information: 'Information',
    warning: 'Warning',
    error: 'Error',
    critical: 'Critical',
  };
  return names[level.toLowerCase()] ?? level;
}
