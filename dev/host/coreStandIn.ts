import Module from 'node:module';

/**
 * A stand-in for `@azure/functions-core`, the module the real Node.js language worker provides to
 * `@azure/functions` at run time. `@azure/functions` requires it lazily (tryGetCoreApiLazy) and calls
 * setProgrammingModel, registerFunction, registerHook and log; we answer those and keep what was registered.
 * NOTE: this is the library's internal contract with the worker, which is why `@azure/functions` is pinned exactly.
 */

export interface CoreBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  [key: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export type CoreCallback = (...args: unknown[]) => unknown;

export interface CoreInvocationContext {
  invocationId: string;
  request: { inputData: { name: string; data: unknown }[]; triggerMetadata: Record<string, unknown> };
  metadata: CoreFunctionMetadata;
  state?: string;
  log(level: string, category: string, message: string): void;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

export interface Registration {
  metadata: CoreFunctionMetadata;
  callback: CoreCallback;
}

class CoreStandIn {
  programmingModel: ProgrammingModel | undefined;
  registrations: Registration[] = [];
  systemLog: (level: string, message: string) => void = () => undefined;

  setProgrammingModel(model: ProgrammingModel): void {
    this.programmingModel = model;
  }

  getProgrammingModel(): ProgrammingModel | undefined {
    return this.programmingModel;
  }

  registerFunction(metadata: CoreFunctionMetadata, callback: CoreCallback): { dispose(): void } {
    if (this.registrations.some((r) => r.metadata.name === metadata.name)) {
      throw new Error(`A function named "${metadata.name}" is already registered`);
    }
    const registration = { metadata, callback };
    this.registrations.push(registration);
    return { dispose: () => (this.registrations = this.registrations.filter((r) => r !== registration)) };
  }

  registerHook(_hookName: string, _callback: unknown): { dispose(): void } {
    // The app registers no hooks; accepting them keeps apps that do loadable.
    return { dispose: () => undefined };
  }

  log(level: string, _category: string, message: string): void {
    this.systemLog(level, message);
  }
}

export const coreStandIn = new CoreStandIn();

let installed = false;

/** Makes `require('@azure/functions-core')` return the stand-in, as the worker does. Idempotent. */
export function installCoreStandIn(): void {
  if (installed) return;
  installed = true;
  const moduleWithLoad = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(request: string, parent: unknown, isMain: boolean) {
    if (request === '@azure/functions-core') return coreStandIn;
    return originalLoad.call(this, request, parent, isMain);
  };
}
