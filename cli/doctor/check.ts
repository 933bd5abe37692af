import type { Config } from '../../shared/config';
import { safeText } from '../../shared/text';
import { ArmError } from './armTarget';
import type { DoctorTarget } from './target';

/** One line of doctor's report: what was checked, what was found, and what to do about it. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for warn and fail. */
  fix?: string;
}

export interface DoctorContext {
  target: DoctorTarget;
  /** The app's settings as doctor reads them (validated). */
  config: Config;
  /** Everything doctor runs with (the azd environment's values among them). Never print a value. */
  settings: Readonly<Record<string, string | undefined>>;
  now: () => Date;
}

/** What a check found (the report adds its id and title). */
export type Outcome = Omit<CheckResult, 'id' | 'title'>;

export interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Outcome>;
}

export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
export const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
export const fail = (detail: string, fix: string): Outcome => ({ status: 'fail', detail, fix });

/** Runs the checks in order; one that throws is a failure of that check only, with the reason it gives. */
export async function runChecks(checks: readonly Check[], ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    let outcome: Outcome;
    try {
      outcome = await check.run(ctx);
    } catch (error) {
      outcome = failureOf(error);
    }
    results.push({ id: check.id, title: check.title, ...outcome });
  }
  return results;
}

function failureOf(error: unknown): Outcome {
  const message = safeText(error instanceof Error ? error.message : String(error), 400);
  if (error instanceof ArmError && (error.status === 401 || error.status === 403)) {
    return fail(
      message,
      'sign in as someone who can read the deployment (az login; Reader on its resource groups, and the Website ' +
        'Contributor role or an equivalent for the app settings and function keys), then run doctor again',
    );
  }
  if (error instanceof ArmError && error.status === 404) {
    return fail(message, 'check the azd environment values doctor runs with (azd env get-values), or run azd up');
  }
  return fail(message, 'run doctor again; if it keeps failing, the message says what did');
}
