import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../../shared/config';
import { azureCredential } from '../../shared/credential';
import type { CliIo } from '../io';
import { createArmTarget } from '../doctor/armTarget';
import { runChecks, type Check } from '../doctor/check';
import { acsAccess, acsRole } from '../doctor/checks/acsChecks';
import { alerts } from '../doctor/checks/alertChecks';
import { appAnswers, appFunctions, appSettings } from '../doctor/checks/appChecks';
import {
  callEventsSubscription,
  recordingFilesSubscription,
  recordingStateCallback,
} from '../doctor/checks/eventGridChecks';
import { chunkQueue, containers, deadLetters, worm } from '../doctor/checks/storageChecks';
import { createLocalTarget } from '../doctor/localTarget';
import { printReport } from '../doctor/report';
import type { DoctorTarget } from '../doctor/target';
import { UsageError, type Command } from './commandContext';

/** Every check, in the order a request travels: the app, Event Grid into it, its storage, ACS, the alerts. */
export const DOCTOR_CHECKS: readonly Check[] = [
  appAnswers,
  appFunctions,
  appSettings,
  recordingFilesSubscription,
  callEventsSubscription,
  recordingStateCallback,
  deadLetters,
  containers,
  chunkQueue,
  worm,
  acsAccess,
  acsRole,
  alerts,
];

export const doctorCommand: Command = {
  flags: ['app-url'],
  run: (ctx, args, flags) => {
    if (args.length > 0) throw new UsageError('doctor takes no arguments (--app-url URL, --json)');
    const target = targetFor(ctx.settings, flags['app-url'], azureCredential());
    return doctor(target, ctx.config, ctx.settings, ctx.io, { json: ctx.json });
  },
};

/**
 * `doctor [--app-url URL] [--json]`: checks the deployed wiring end to end and prints each check with a fix. Exit 1
 * when a check failed (warnings and skipped checks do not fail it), else 0.
 */
export async function doctor(
  target: DoctorTarget,
  config: Config,
  settings: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  options: { json: boolean; now?: () => Date },
): Promise<number> {
  const results = await runChecks(DOCTOR_CHECKS, { target, config, settings, now: options.now ?? (() => new Date()) });
  printReport(io, target, results, options.json);
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

/**
 * A deployment when the azd environment's values are there (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP,
 * AZURE_FUNCTION_APP_NAME: `eval "$(azd env get-values)"`, or the postdeploy hook's environment); the local stack
 * otherwise, at http://127.0.0.1:PORT (7071).
 */
export function targetFor(
  settings: Readonly<Record<string, string | undefined>>,
  appUrlFlag: string | undefined,
  credential: TokenCredential,
): DoctorTarget {
  const { AZURE_SUBSCRIPTION_ID: subscriptionId, AZURE_RESOURCE_GROUP: resourceGroup } = settings;
  const functionAppName = settings.AZURE_FUNCTION_APP_NAME;
  const given = appUrlFlag ?? (subscriptionId ? settings.SERVICE_API_URI : undefined);
  let appUrl: URL;
  try {
    appUrl = new URL(given ?? `http://127.0.0.1:${settings.PORT ?? 7071}`);
  } catch {
    throw new UsageError(`${appUrlFlag ? '--app-url' : 'SERVICE_API_URI'} is not an absolute URL`);
  }
  if (!subscriptionId || !resourceGroup || !functionAppName) return createLocalTarget(appUrl, settings);
  if (!given) throw new UsageError('SERVICE_API_URI is not set (azd env get-values has it); or give --app-url');
  const topicName = settings.EVENT_GRID_SYSTEM_TOPIC_NAME;
  return createArmTarget(
    {
      subscriptionId,
      resourceGroup,
      functionAppName,
      appUrl,
      ...(topicName
        ? {
            systemTopic: {
              name: topicName,
              resourceGroup: settings.EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP ?? resourceGroup,
            },
          }
        : {}),
      ...(settings.ACS_RESOURCE_ID ? { acsResourceId: settings.ACS_RESOURCE_ID } : {}),
      ...(settings.AZURE_FUNCTION_PRINCIPAL_ID ? { appPrincipalId: settings.AZURE_FUNCTION_PRINCIPAL_ID } : {}),
    },
    { credential },
  );
}
