import { createControlClient } from '../acs';
import { getConfig } from '../config';
import { containerFor } from '../storage';
import { CallStore } from './callStore';
import { RecordingControl } from './recordingControl';

let processControl: Promise<RecordingControl> | undefined;

/** One RecordingControl per process, wired to the configured ACS resource and the control container. */
export function recordingControlForProcess(): Promise<RecordingControl> {
  processControl ??= (async () => {
    const config = getConfig();
    const store = new CallStore(await containerFor(config, config.controlContainer));
    return new RecordingControl(store, createControlClient(config.acs), config);
  })().catch((error: unknown) => {
    processControl = undefined;
    throw error;
  });
  return processControl;
}
