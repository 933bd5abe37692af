import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import type { CheckResult, CheckStatus } from './check';
import { printable } from './probe';
import type { DoctorTarget } from './target';

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** Doctor's report: one line per check (and its fix), then the count; or the same as JSON for scripts. */
export function printReport(io: CliIo, target: DoctorTarget, results: readonly CheckResult[], json: boolean): void {
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) summary[r.status]++;
  const where = { kind: target.kind, appUrl: printable(target.appUrl) };
  if (json) {
    io.out(JSON.stringify({ target: where, checks: results, summary }, null, 2));
    return;
  }
  io.out(`doctor: ${target.kind === 'azure' ? 'the deployment' : 'the local stack'} at ${where.appUrl}`);
  const width = Math.max(...results.map((r) => r.id.length));
  for (const r of results) {
    io.out(`  ${LABEL[r.status]}  ${r.id.padEnd(width)}  ${r.title}: ${safeText(r.detail, 600)}`);
    if (r.fix && (r.status === 'fail' || r.status === 'warn'))
      io.out(`        ${' '.repeat(width)}  fix: ${safeText(r.fix, 600)}`);
  }
  io.out(`${summary.pass} passed, ${summary.warn} warning(s), ${summary.fail} failed, ${summary.skip} skipped`);
}
