import { hostLog, type HostState, type LoadedFunction } from './hostState';
import { parseSchedule } from './ncrontab';
import { isValidQueueName, resolveBindingExpression, storageConnectionString } from './settings';

/**
 * What the host does between loading the app and starting its listeners: each function's trigger binding is bound to
 * the app settings (`%NAME%` expressions resolved, the queue name checked, the connection found, the schedule parsed).
 * A function whose binding fails is IN ERROR and the others run: the Functions host starts with partial indexing
 * (AllowPartialHostStartup), logs "Function 'X' failed indexing and will be disabled." (azure-webjobs-sdk
 * FunctionIndexer) and "The 'X' function is in error: …" (azure-functions-host ScriptHost.LogHostFunctionErrors), and
 * keeps the error for `GET /admin/functions/X/status`. Nothing of it reaches the app: the worker only ever sees its
 * invocations.
 */

/** Sets `bound` on every function, or puts it in error (state.functionErrors). */
export function indexFunctions(state: HostState): void {
  for (const fn of state.functions) {
    try {
      fn.bound = bindTrigger(fn, state.env);
    } catch (error) {
      markInError(state, fn, error);
    }
  }
}

/** A function the host could not index: it never runs, and says why. */
export function markInError(state: HostState, fn: LoadedFunction, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  // NOTE: the host flattens the indexing exception with each part's source, as its Utility.FlattenException does.
  fn.error = `Microsoft.Azure.WebJobs.Host: Error indexing method 'Functions.${fn.name}'. ${reason}`;
  state.functionErrors.set(fn.name, [fn.error]);
  hostLog(state, `Function '${fn.name}' failed indexing and will be disabled.`, 'Warning');
  hostLog(state, `The '${fn.name}' function is in error: ${fn.error}`, 'Error');
}

/** The functions that run: loaded, not disabled, not in error. */
export function runnable(state: Pick<HostState, 'functions'>): LoadedFunction[] {
  return state.functions.filter((f) => f.error === undefined);
}

function bindTrigger(fn: LoadedFunction, env: HostState['env']): LoadedFunction['bound'] {
  switch (fn.trigger) {
    case 'storageQueue': {
      // NOTE: the Storage extension lower-cases the resolved name ("coerce here to be nice"), then validates it.
      const queueName = resolve(fn.queueName ?? '', env).toLowerCase();
      if (!isValidQueueName(queueName))
        throw new Error(`'${queueName}' is not a valid queue name (3-63 lowercase letters, digits, single hyphens).`);
      return { queueName, connectionString: storageConnectionString(fn.connection!, env) };
    }
    case 'timer':
      return { schedule: parseSchedule(resolve(fn.schedule ?? '', env)) };
    default:
      return {};
  }
}

/** resolveBindingExpression, its errors with the source the host prints before them. */
function resolve(value: string, env: HostState['env']): string {
  try {
    return resolveBindingExpression(value, env);
  } catch (error) {
    throw new Error(`Microsoft.Azure.WebJobs.Host: ${error instanceof Error ? error.message : String(error)}`);
  }
}
