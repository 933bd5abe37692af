import type { ContainerClient } from '@azure/storage-blob';
import { RetryableError } from '../errors';
import { statusCode } from '../storage';
import { CallerRefusedError } from './callerRefused';

/**
 * A Call Automation token is valid for five minutes and is not bound to the body it came with: whoever sees one (a
 * proxy log, a debugging session) could send any instruction with it until it expires. So each token is bound to the
 * first instruction it carried: the same token with the same events again is a retry of that callback and goes
 * through; with other events it is refused (401). The binding is kept in the control container, so a replay to
 * another instance of the app is refused too; a lifecycle rule deletes the records after a day.
 */

export interface TokenUse {
  /** SHA-256 hex of the token as sent. */
  tokenSha256: string;
  /** SHA-256 hex of the events it came with. */
  instructionSha256: string;
  /** The token's `exp`. */
  expiresAt: Date;
}

export interface ReplayGuard {
  /** Throws CallerRefusedError(401) when the token came before with other events; RetryableError when unsure. */
  use(token: TokenUse): Promise<void>;
}

export const CALLBACK_TOKEN_PREFIX = 'callback-tokens/';

export class BlobReplayGuard implements ReplayGuard {
  constructor(private readonly control: () => Promise<ContainerClient>) {}

  async use(token: TokenUse): Promise<void> {
    const blob = (await this.control()).getBlockBlobClient(`${CALLBACK_TOKEN_PREFIX}${token.tokenSha256}`);
    try {
      await blob.upload('', 0, {
        metadata: { instruction: token.instructionSha256, expires: token.expiresAt.toISOString() },
        conditions: { ifNoneMatch: '*' },
      });
      return;
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw unsure(error);
    }
    let seen: string | undefined;
    try {
      seen = (await blob.getProperties()).metadata?.instruction;
    } catch (error) {
      throw unsure(error);
    }
    if (seen === token.instructionSha256) return;
    throw new CallerRefusedError(
      401,
      'TokenReplayed',
      'this Call Automation token already came with other events: a token is good for the one callback it was made for',
      'Authorization',
    );
  }
}

function unsure(error: unknown): RetryableError {
  return new RetryableError('ReplayCheckUnavailable', 'Could not check the callback token against earlier uses', {
    cause: error,
  });
}
