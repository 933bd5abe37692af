/** Recording control: which call has which recording; start, stop, pause, resume and the state callbacks. */

export { recordingsRouteOf, startRequestOf } from './apiRequest';
export { handleCallEvents } from './callEventHandler';
export { type RecordingView } from './callRecord';
export { recordingControlForProcess } from './createRecordingControl';
