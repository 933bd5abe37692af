import { ConfigError } from '../errors';
import { readContainer, type Env } from './env';

/**
 * AUDIT_CONTAINER: where erasure and legal-hold records go (default `recording-audit`). In Azure it is created with
 * version-level immutability and the app holds no role on it; so it must be a container of its own: the archive
 * container holds recordings (and the app can write there), the control container is rewritten and deleted in all
 * the time. Naming either of them would put the audit trail back where it can be rewritten, so that is refused.
 */
export function readAuditContainer(env: Env): string {
  const name = readContainer(env, 'AUDIT_CONTAINER', 'recording-audit');
  // NOTE: read again here (the same readers and defaults as load.ts) so that load.ts needs one line for this setting.
  for (const [setting, other] of [
    ['ARCHIVE_CONTAINER', readContainer(env, 'ARCHIVE_CONTAINER', 'recordings')],
    ['CONTROL_CONTAINER', readContainer(env, 'CONTROL_CONTAINER', 'recording-control')],
  ] as const) {
    if (name === other) {
      throw new ConfigError(
        'AUDIT_CONTAINER',
        `"${name}" is also ${setting}: audit records need a container of their own (default recording-audit)`,
      );
    }
  }
  return name;
}
