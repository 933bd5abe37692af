import os from 'node:os';
import { BadInputError } from '../../shared/errors';
import { auditBlobName } from '../../shared/participants/auditLog';
import {
  changeLegalHold,
  LegalHoldUnsupportedError,
  parseHoldTag,
  recordingsOfCall,
  supportsLegalHold,
} from '../../shared/participants/legalHold';
import { safeText } from '../../shared/text';
import { failed, type CommandContext } from './commandContext';

/**
 * `hold set|clear <callId> [<recordingKey>] --tag CASE-123 [--operator NAME] [--reason "…"] [--json]`
 * Sets or clears a legal hold on every blob version of the recording (every recording of the call without a key),
 * recorded in the audit log. Needs a container with version-level immutability: anywhere else (Azurite) it says so and
 * exits 2 without changing anything. Exit 0 done; 1 some blob could not be changed or nothing matched; 3 transient.
 */
export async function hold(
  ctx: CommandContext,
  args: {
    action: string | undefined;
    callId?: string;
    recordingKey?: string;
    tag?: string;
    operator?: string;
    reason?: string;
  },
): Promise<number> {
  const { io } = ctx;
  try {
    if (args.action !== 'set' && args.action !== 'clear') {
      io.err('hold needs set or clear: hold set|clear <callId> [<recordingKey>] --tag CASE-123');
      return 2;
    }
    if (!args.callId) {
      io.err(`hold ${args.action} needs a call id`);
      return 2;
    }
    const tag = parseHoldTag(args.tag);
    for (const [field, value] of [
      ['callId', args.callId],
      ['recordingKey', args.recordingKey],
    ] as const) {
      if (value !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/.test(value)) {
        throw new BadInputError(`${field} is not a call id or recording key of the archive`, field);
      }
    }
    const stores = await ctx.stores();
    if (!(await supportsLegalHold(stores.archive))) throw new LegalHoldUnsupportedError(stores.archive.containerName);
    const recordings = await recordingsOfCall(stores.archive, args.callId, args.recordingKey);
    const record = await changeLegalHold(stores, {
      action: args.action,
      tag,
      operator: safeText(args.operator?.trim() || os.userInfo().username, 200),
      reason: args.reason?.trim() ? safeText(args.reason.trim(), 1000) : null,
      recordings,
    });
    if (ctx.json) io.out(JSON.stringify({ auditBlob: auditBlobName(record.id), ...record }, null, 2));
    else {
      for (const r of record.recordings) {
        const bad = r.blobs.filter((b) => b.outcome === 'failed').length;
        const state = r.tagsAfter.length > 0 ? `held by ${r.tagsAfter.join(', ')}` : 'not held';
        io.out(
          `${r.callId}/${r.recordingKey}: ${r.blobs.length} blob version(s), ${state}${bad ? `, ${bad} FAILED` : ''}`,
        );
        if (r.manifestStatus === 'pending') {
          io.out('  still being archived: blobs written later are not held; run hold set again once it is complete');
        }
      }
      io.out(`Audit record ${record.id} (${auditBlobName(record.id)}): ${record.status}.`);
    }
    return record.status === 'completed' ? 0 : 1;
  } catch (error) {
    return failed(io, `hold ${args.action ?? ''}`.trim(), error);
  }
}
