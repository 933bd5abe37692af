/** Loads the compiled app the way a fresh Functions worker does; returns the registered function names. */
export function loadAppForColdStart(appRoot: string): string[] {
  void appRoot;
  throw new Error('not wired yet');
}
