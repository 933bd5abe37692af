/**
 * What `doctor` reads about a deployment that is not app data: the narrow seam between the checks (checks/) and
 * where the facts live. In Azure they come from Azure Resource Manager (armTarget.ts: REST with an @azure/identity
 * token); locally from what the `npm start` stack offers (localTarget.ts), and what it does not offer is Unavailable,
 * with the reason, so the check is reported as skipped. Data the app itself uses (blobs, queues, ACS) is checked with
 * the app's own settings, the same way in both.
 */

/** Why a fact cannot be read here: the check that needs it is skipped with this reason. */
export interface Unavailable {
  unavailable: string;
}

export type Maybe<T> = T | Unavailable;

export function isUnavailable<T>(value: Maybe<T>): value is Unavailable {
  return typeof value === 'object' && value !== null && 'unavailable' in value;
}

/** An Event Grid event subscription as Resource Manager describes it (2022-06-15), reduced to what is checked. */
export interface EventSubscriptionView {
  name: string;
  provisioningState: string;
  /** `WebHook`, `AzureFunction`, … */
  endpointType: string;
  /** AzureFunction: the function's resource id. WebHook: `endpointBaseUrl`, the URL without its query (and key). */
  endpoint: string;
  /** null: every event type. */
  includedEventTypes: string[] | null;
  deadLetter: { storageAccountId: string; container: string } | null;
}

export interface FunctionsView {
  names: string[];
  /** The errors of functions the host could not index, by name (empty when the target cannot tell). */
  errors: Record<string, string[]>;
}

export interface RoleAssignmentView {
  principalId: string;
  /** The role definition's GUID (the last segment of its id), lower case. */
  roleDefinitionGuid: string;
  scope: string;
}

export interface AlertRuleView {
  name: string;
  kind: 'log' | 'metric';
  enabled: boolean;
}

export interface DoctorTarget {
  readonly kind: 'local' | 'azure';
  /** Where the function app answers (`https://<app>.azurewebsites.net`, `http://127.0.0.1:7071`). */
  readonly appUrl: URL;
  /** The settings the running app has (secrets included: never print a value). */
  appSettings(): Promise<Maybe<Readonly<Record<string, string>>>>;
  /** The functions the app has, and the errors of those in error. */
  functions(): Promise<Maybe<FunctionsView>>;
  /** The event subscriptions of the ACS resource's Event Grid system topic. */
  eventSubscriptions(): Promise<Maybe<EventSubscriptionView[]>>;
  /** The full endpoint URL of a WebHook subscription, key included: a secret, to probe and never to print. */
  webhookUrl(subscriptionName: string): Promise<Maybe<string>>;
  /** The role assignments of the app's identity on the ACS resource. */
  acsRoleAssignments(): Promise<Maybe<RoleAssignmentView[]>>;
  /** The deployment's alert rules. */
  alertRules(): Promise<Maybe<AlertRuleView[]>>;
}
