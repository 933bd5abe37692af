import type { CoreBinding, ProgrammingModel, Registration } from './coreStandIn';
import type { HostKeys } from './keys';
import type { Schedule } from './ncrontab';
import type { HostJson, LogLevel } from './settings';

export type { LogLevel } from './settings';

/**
 * The one state every part of the local host works over: what the app registered, the settings it runs with, the
 * keys (when any), and where log lines go. Built once by `startLocalHost`; the parts (HTTP, Event Grid, timer and
 * queue triggers, admin API) are module-level functions that take it.
 */

/** What `loadApp` reports for each registration (also what the registration test compares with the contract). */
export interface RegisteredFunction {
  name: string;
  /** 'http', 'eventGrid', 'timer', 'storageQueue', or the binding type of any other trigger. */
  trigger: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  /** As registered: a literal queue name or a `%SETTING%` binding expression. */
  queueName?: string;
  /** The app setting that holds the Storage connection (the extension's default: AzureWebJobsStorage). */
  connection?: string;
}

export interface LoadedFunction extends RegisteredFunction {
  registration: Registration;
  triggerName: string;
  triggerBinding: CoreBinding;
  /** The trigger bound to the settings (indexing.ts): the resolved queue and connection, the parsed schedule. */
  bound?: { queueName?: string; connectionString?: string; schedule?: Schedule };
  /** Why the host could not index it (then it never runs), as the host reports it. */
  error?: string;
}

export interface HostState {
  appRoot: string;
  /**
   * The worker's settings: the process environment, read only. NOTE: in Azure the host starts the worker with the app
   * settings as environment variables; `serve.ts` does the same with local.settings.json before the app loads.
   */
  env: Readonly<Record<string, string | undefined>>;
  hostJson: HostJson;
  functions: LoadedFunction[];
  model: ProgrammingModel;
  /** Undefined: keys are not enforced (as `func start` does locally). */
  keys: HostKeys | undefined;
  /** The functions in error and why (the host's FunctionErrors, served by GET /admin/functions/NAME/status). */
  functionErrors: Map<string, string[]>;
  write: (line: string) => void;
}

/** A host log line: `[2026-11-23T22:00:00.000Z] text`, or with a level tag `[...] [Warning] text`. */
export function hostLog(state: Pick<HostState, 'write'>, text: string, level?: LogLevel): void {
  state.write(`[${new Date().toISOString()}] ${level ? `[${level}] ` : ''}${text}`);
}

/** The public description of a loaded function (what `LocalHost.functions` and `loadApp` callers see). */
export function toRegisteredFunction(fn: LoadedFunction): RegisteredFunction {
  const { name, trigger, route, methods, authLevel, schedule, queueName, connection } = fn;
  return {
    name,
    trigger,
    ...(route !== undefined && { route }),
    ...(methods !== undefined && { methods }),
    ...(authLevel !== undefined && { authLevel }),
    ...(schedule !== undefined && { schedule }),
    ...(queueName !== undefined && { queueName }),
    ...(connection !== undefined && { connection }),
  };
}
