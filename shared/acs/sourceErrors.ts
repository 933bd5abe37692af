import { PermanentError, RetryableError } from '../errors';

/** How a request to the recording store can fail, each failure classified as permanent or retryable. */

/** The permanent refusal of a location outside the allow-list; no request was made. */
export class LocationRefusedError extends PermanentError {
  constructor(reason: string) {
    super('LocationRefused', `download refused before any request: ${reason}`);
  }
}

/** A deleteLocation that does not belong to its chunk; no request was made. */
export class DeleteRefusedError extends PermanentError {
  constructor(reason: string) {
    super('DeleteRefused', `delete refused before any request: ${reason}`);
  }
}

/**
 * 401/403 from ACS (its control API or its recording store): a wrong key, a missing or not yet propagated role
 * assignment, or a skewed clock. Retryable (role assignments take minutes to propagate, and the event that asked for
 * the work must come again rather than be dropped), and worth an alert when it lasts. `detail`: what ACS said, for
 * the operator's log only.
 */
export class AccessDeniedError extends RetryableError {
  constructor(
    readonly status: number,
    what: string,
    detail?: string,
  ) {
    super(
      'AcsAccessDenied',
      `${what} refused the request (${status}${detail ? `; ${detail}` : ''}): check the access key, or the managed identity's role on the Communication Services resource`,
    );
  }
}

/** 404, or 410 Gone: the file is no longer in the recording store. */
export class SourceExpiredError extends PermanentError {
  constructor(what: string, status = 404) {
    super('SourceExpired', `${what} is gone from the recording store (${status}): its retention time has passed`);
  }
}
