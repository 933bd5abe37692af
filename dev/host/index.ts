export { loadApp } from './appLoader';
export { startLocalHost, type LocalHost, type LocalHostOptions, type RegisteredFunction } from './localHost';
export { spawnLocalHost, type HostProcess, type SpawnHostOptions } from './spawnHost';
export { parseSchedule, matches, nextOccurrence } from './ncrontab';
export { matchRoute } from './routes';
