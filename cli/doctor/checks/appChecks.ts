import { archiveQueueName } from '../../../shared/config';
import { ConfigError } from '../../../shared/errors';
import { safeText } from '../../../shared/text';
import { fail, pass, skip, warn, type Check } from '../check';
import { probe } from '../probe';
import { isUnavailable } from '../target';

/** Every function the app registers (the contract's table). */
export const EXPECTED_FUNCTIONS = [
  'archiveRecording',
  'archiveChunk',
  'callEvents',
  'callAutomationEvents',
  'recordings',
  'recordingState',
  'sweepArchives',
  'participants',
  'console',
  'consoleApi',
] as const;

/** Any HTTP answer means an instance runs (401/404 included); none, or a 5xx, means it does not. */
export const appAnswers: Check = {
  id: 'app.answers',
  title: 'the function app answers',
  async run({ target }) {
    const answer = await probe(target.appUrl, { timeoutMs: 60_000 });
    if (answer.status > 0 && answer.status < 500) return pass(`${target.appUrl.origin} answered ${answer.describe}`);
    return fail(
      `${target.appUrl.origin} gave ${answer.describe}`,
      target.kind === 'local'
        ? 'start the local stack (npm start, or npm run serve), or give its address with --app-url'
        : 'look at the app in the portal (Overview, Log stream); a Flex Consumption app that was idle can take a ' +
            'minute to start: run doctor again. SERVICE_API_URI (azd env) names the address doctor tried',
    );
  },
};

export const appFunctions: Check = {
  id: 'app.functions',
  title: 'every function is indexed, none in error',
  async run({ target }) {
    const found = await target.functions();
    if (isUnavailable(found)) return skip(found.unavailable);
    const missing = EXPECTED_FUNCTIONS.filter((name) => !found.names.includes(name));
    const inError = Object.entries(found.errors);
    if (inError.length > 0) {
      const [name, errors] = inError[0]!;
      const unresolved = /'%([A-Za-z0-9_:]+)%' does not resolve to a value/.exec(errors.join(' '))?.[1];
      return fail(
        `${inError.map(([n]) => n).join(', ')} in error: ${safeText(errors.join(' '), 300)}`,
        unresolved
          ? `set the app setting ${unresolved} (in Azure: azd provision sets it; locally: local.settings.json or the environment), then restart the app`
          : `fix what the error names for ${name}, then restart the app`,
      );
    }
    if (missing.length > 0) {
      return fail(
        `not indexed: ${missing.join(', ')} (found ${found.names.length}: ${found.names.join(', ') || 'none'})`,
        target.kind === 'local' ? 'rebuild and restart: npm start' : 'deploy the code again: azd deploy',
      );
    }
    return pass(`all ${EXPECTED_FUNCTIONS.length} functions`);
  },
};

/**
 * The settings the running app has and doctor's own must agree where both sides of a wire read them: the queue the
 * app enqueues to and the one archiveChunk's `%ARCHIVE_QUEUE%` listens on are one setting, which has no default in
 * the trigger.
 */
export const appSettings: Check = {
  id: 'app.settings',
  title: "the app's ARCHIVE_QUEUE and RECORDING_STATE_CALLBACK_URL",
  async run({ target, config }) {
    const settings = await target.appSettings();
    if (isUnavailable(settings)) return skip(settings.unavailable);
    const queue = settings.ARCHIVE_QUEUE;
    if (queue === undefined || queue.trim() === '') {
      return fail(
        "ARCHIVE_QUEUE is not set: archiveChunk's trigger (%ARCHIVE_QUEUE%) has no default, so nothing copies chunks",
        'set ARCHIVE_QUEUE (the deployment sets it to its queue, archive-chunks by default; locally it is in ' +
          'local.settings.sample.json), then restart the app',
      );
    }
    let name: string;
    try {
      name = archiveQueueName({ ARCHIVE_QUEUE: queue });
    } catch (error) {
      return fail(
        error instanceof ConfigError ? error.message : 'ARCHIVE_QUEUE is not a queue name',
        'set ARCHIVE_QUEUE to a queue name (3-56 lowercase letters, digits, single hyphens)',
      );
    }
    if (name !== config.queue.name) {
      return fail(
        `the app's ARCHIVE_QUEUE is '${name}', doctor's is '${config.queue.name}': the queue checks below are not of the app's queue`,
        "run doctor with the app's settings (azd env get-values, or the app's local.settings.json)",
      );
    }
    if (!settings.RECORDING_STATE_CALLBACK_URL) {
      return warn(
        `ARCHIVE_QUEUE ${name}; RECORDING_STATE_CALLBACK_URL is not set: ACS sends no recording state callbacks`,
        target.kind === 'azure'
          ? 'run the postdeploy hook: azd hooks run postdeploy'
          : 'set RECORDING_STATE_CALLBACK_URL to the host, e.g. http://127.0.0.1:7071/api/recording-state',
      );
    }
    return pass(`ARCHIVE_QUEUE ${name}; RECORDING_STATE_CALLBACK_URL set`);
  },
};
