/** Who may send what: the Event Grid topic check and Call Automation callback tokens. */

export { CallerRefusedError } from './callerRefused';
export { checkCallbackSenders, checkSenders, needsCallbackToken, senderPolicyFor } from './senderCheck';
