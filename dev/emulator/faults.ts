import type { ControlFault, ControlOperation, Fault } from './records';

/** Faults waiting to be served: per document on the stores, per operation on the control API. */

type Queued<T> = T & { remaining: number };

export class FaultQueue {
  private readonly byDocument = new Map<string, Array<Queued<Fault>>>();

  add(documentId: string, fault: Fault): void {
    const queue = this.byDocument.get(documentId) ?? [];
    queue.push({ ...fault, remaining: fault.times ?? 1 });
    this.byDocument.set(documentId, queue);
  }

  clear(documentId?: string): void {
    if (documentId === undefined) this.byDocument.clear();
    else this.byDocument.delete(documentId);
  }

  /** Takes the next fault for this document and target, if any, counting one use of it. */
  take(documentId: string, target: 'content' | 'metadata', canRedirect: boolean): Fault | undefined {
    const queue = this.byDocument.get(documentId);
    if (!queue) return undefined;
    const index = queue.findIndex((f) => (f.target ?? 'content') === target && (canRedirect || f.kind !== 'redirect'));
    if (index < 0) return undefined;
    const fault = queue[index]!;
    if (--fault.remaining <= 0) queue.splice(index, 1);
    return fault;
  }
}

export class ControlFaultQueue {
  private readonly queue: Array<Queued<ControlFault>> = [];

  add(fault: ControlFault): void {
    this.queue.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.queue.length = 0;
  }

  take(operation: ControlOperation): ControlFault | undefined {
    const index = this.queue.findIndex((f) => f.operation === undefined || f.operation === operation);
    if (index < 0) return undefined;
    const fault = this.queue[index]!;
    if (--fault.remaining <= 0) this.queue.splice(index, 1);
    return fault;
  }
}

/** Error codes of injected statuses, as the services name them. */
export function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? `Status${status}`;
}
