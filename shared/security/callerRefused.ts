import { BadInputError } from '../errors';

/**
 * A request refused because of who sent it: 401 (no valid Call Automation token) or 403 (an event published by
 * another resource). A kind of bad input: the same request can never succeed, and Event Grid does not retry either
 * status (https://learn.microsoft.com/en-us/azure/event-grid/delivery-and-retry). `message` is safe to show: it names
 * what is wrong, never a token.
 */
export class CallerRefusedError extends BadInputError {
  readonly status: 401 | 403;

  constructor(status: 401 | 403, code: string, message: string, field: string) {
    super(message, field, code);
    this.status = status;
  }
}
