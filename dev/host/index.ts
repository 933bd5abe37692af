export { startLocalHost, loadApp, type LocalHost, type LocalHostOptions, type RegisteredFunction } from './localHost';
export { parseSchedule, matches, nextOccurrence } from './ncrontab';
export { matchRoute } from './routes';
