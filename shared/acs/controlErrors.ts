import { NotFoundError, RetryableError } from '../errors';

/** How the control client says what ACS answered, for the flows that decide what a failure means. */

/**
 * ACS answered a control request with a 5xx, 429 or 408: worth retrying. `acsCode` is ACS's own error code when it
 * sent one (a persistent `500 {"error":{"code":"9999","message":"Unknown internal server error."}}` is a known real
 * answer to a start: Azure/azure-sdk-for-java issue 32963).
 */
export class AcsUnavailableError extends RetryableError {
  constructor(
    readonly status: number,
    readonly acsCode: string | null,
    detail: string,
    retryAfterMs: number | undefined,
  ) {
    super('AcsUnavailable', detail, { retryAfterMs });
  }
}

/**
 * ACS answered 404. Learn documents it for Call Automation as "the call you're trying to act on doesn't exist"
 * (MicrosoftDocs/azure-docs articles/communication-services/resources/troubleshooting/voice-video-calling/includes/
 * codes/call-automation-sdk.md); for a recording, that ACS no longer has it (404 8522 "Recording not found.").
 */
export class AcsNotFoundError extends NotFoundError {
  constructor(
    readonly acsCode: string | null,
    message: string,
    code: 'AcsNotFound' | 'AcsCallNotFound',
  ) {
    super(message, code);
  }
}
