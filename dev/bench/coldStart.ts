import { loadApp } from '../host/appLoader';

/** Loads the compiled app the way a fresh Functions worker does (through the core stand-in); returns the names. */
export function loadAppForColdStart(appRoot: string): string[] {
  return loadApp(appRoot).map((f) => f.name);
}
