import { randomUUID } from 'node:crypto';
import { safeText } from '../../shared/text';
import type { CoreInvocationContext } from './coreStandIn';
import { hostLog, type HostState, type LoadedFunction } from './hostState';

/**
 * One invocation through `@azure/functions`' own invocation model, as the Node worker runs it: the library converts the
 * RPC typed data into the handler's arguments (HttpRequest, parsed JSON, InvocationContext with triggerMetadata) and
 * the handler's result back into an RPC response. Logs the host's Executing / Executed lines around it.
 */

/** The worker protocol's TypedData: one of these is set. */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  http?: unknown;
}

export interface InvokeOptions {
  /** The host's reason, e.g. `New queue message detected on 'archive-chunks'.` */
  reason: string;
  /** PascalCase binding data as typed data; the library camel-cases it into `context.triggerMetadata`. */
  triggerMetadata?: Record<string, RpcTypedData>;
  /** A `Trigger Details: ...` line, as the host logs for queue messages. */
  details?: string;
}

export interface InvocationResult {
  returnValue?: unknown;
}

/** Runs the function; rejects when the handler threw (after logging it). */
export async function invoke(
  state: HostState,
  fn: LoadedFunction,
  data: RpcTypedData,
  options: InvokeOptions,
): Promise<InvocationResult> {
  const invocationId = randomUUID();
  const started = Date.now();
  hostLog(state, `Executing '${fn.name}' (Reason='${options.reason}', Id=${invocationId})`);
  if (options.details) hostLog(state, `Trigger Details: ${options.details}`);
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: { inputData: [{ name: fn.triggerName, data }], triggerMetadata: options.triggerMetadata ?? {} },
    metadata: fn.registration.metadata,
    state: undefined,
    log: (level: string, _category: string, message: string) =>
      state.write(`[${new Date().toISOString()}] [${levelName(level)}] ${fn.name} (${invocationId}): ${message}`),
  };
  try {
    const invocation = state.model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocation.getArguments();
    const result = await invocation.invokeFunction(context, inputs, fn.registration.callback);
    const response = await invocation.getResponse(context, result);
    hostLog(state, `Executed '${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
    return response;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    state.write(`[${new Date().toISOString()}] [Error] ${fn.name} (${invocationId}): ${safeText(message, 2000)}`);
    hostLog(state, `Executed '${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
    throw error;
  }
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
