/** The app's settings: every one read and validated in one place (load.ts), typed (settings.ts). */
export * from './settings';
export { isLoopbackHost, parseHttpsUrl, type Env } from './env';
export { parseAcsConnectionString } from './acs';
export { archiveQueueName, getConfig, loadConfig } from './load';
