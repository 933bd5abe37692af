import os from 'node:os';
import { isRecordingKey, isSafeToken } from '../../shared/recording';
import { BadInputError } from '../../shared/errors';
import { auditRecordPrefix, changeLegalHold, parseHoldTag } from '../../shared/participants';
import { safeText } from '../../shared/text';
import { UsageError, type Command, type CommandContext, type Flags } from './commandContext';

export const holdSetCommand: Command = {
  flags: ['tag', 'operator', 'reason'],
  run: (ctx, args, flags) => hold(ctx, 'set', args, flags),
};

export const holdClearCommand: Command = {
  flags: ['tag', 'operator', 'reason'],
  run: (ctx, args, flags) => hold(ctx, 'clear', args, flags),
};

/**
 * `hold set|clear <callId> [<recordingKey>] --tag CASE-123 [--operator NAME] [--reason "…"] [--json]`
 * Sets or clears a legal hold on every blob version of the recording (every recording of the call without a key),
 * recorded in the audit log. Needs a container with version-level immutability: anywhere else (Azurite) it says so and
 * exits 2 without changing anything. Exit 0 done; 1 some blob could not be changed or nothing matched; 3 transient.
 */
async function hold(
  ctx: CommandContext,
  action: 'set' | 'clear',
  args: readonly string[],
  flags: Flags,
): Promise<number> {
  const { io } = ctx;
  const [callId, recordingKey] = args;
  if (callId === undefined || args.length > 2) {
    throw new UsageError(`hold ${action} needs a call id and at most one recording key`);
  }
  const tag = parseHoldTag(flags.tag);
  if (!isSafeToken(callId)) throw new BadInputError('callId is not a call id of the archive', 'callId');
  if (recordingKey !== undefined && !isRecordingKey(recordingKey)) {
    throw new BadInputError('recordingKey is not a recording key of the archive', 'recordingKey');
  }
  const stores = await ctx.auditedStores();
  const record = await changeLegalHold(stores, {
    action,
    tag,
    operator: safeText(flags.operator?.trim() || os.userInfo().username, 200),
    operatorObjectId: await ctx.operatorObjectId(),
    reason: flags.reason?.trim() ? safeText(flags.reason.trim(), 1000) : null,
    callId,
    recordingKey,
  });
  const where = { auditContainer: stores.audit.containerName, auditPrefix: auditRecordPrefix(record.id) };
  if (ctx.json) io.out(JSON.stringify({ ...where, ...record }, null, 2));
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
    io.out(`Audit record ${record.id} (${where.auditPrefix} in ${where.auditContainer}): ${record.status}.`);
  }
  return record.status === 'completed' ? 0 : 1;
}
