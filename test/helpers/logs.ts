import type { Logger } from '../../shared/logger';

/** A Logger that keeps every line, for assertions on what a user would read. */
export class CapturedLog implements Logger {
  readonly lines: { level: string; text: string }[] = [];

  debug = (...args: unknown[]) => this.push('debug', args);
  info = (...args: unknown[]) => this.push('info', args);
  warn = (...args: unknown[]) => this.push('warn', args);
  error = (...args: unknown[]) => this.push('error', args);

  get text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.text}`).join('\n');
  }

  errors(): string[] {
    return this.lines.filter((l) => l.level === 'error').map((l) => l.text);
  }

  private push(level: string, args: unknown[]): void {
    this.lines.push({ level, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
  }
}
