/** What shared/ needs of a logger; the Functions `InvocationContext` satisfies it. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger for command-line tools and the local stack: one readable line per call. */
export function consoleLogger(prefix = ''): Logger {
  const line = (args: unknown[]) => prefix + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...a) => process.env.LOG_LEVEL === 'debug' && console.debug(line(a)),
    info: (...a) => console.info(line(a)),
    warn: (...a) => console.warn(line(a)),
    error: (...a) => console.error(line(a)),
  };
}
