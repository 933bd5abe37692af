import type { CliIo } from './io';

/** A one-line progress bar on a terminal (stderr); nothing when not a TTY, where log lines say enough. */
export class Progress {
  private label = '';
  private total = 0;
  private current = 0;
  private lastDraw = 0;

  constructor(
    private readonly io: Pick<CliIo, 'err' | 'isTTY'>,
    private readonly verb: string,
  ) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.current = 0;
    this.draw(true);
  }

  add(bytes: number): void {
    this.current += bytes;
    this.draw(false);
  }

  update(label: string, current: number, total: number): void {
    this.label = label;
    this.current = current;
    this.total = total;
    this.draw(current >= total);
  }

  done(): void {
    if (this.io.isTTY && this.label) process.stderr.write('\r\x1b[K');
    this.label = '';
  }

  private draw(force: boolean): void {
    if (!this.io.isTTY) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const ratio = this.total > 0 ? Math.min(1, this.current / this.total) : 0;
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const mib = (n: number) => (n / 1048576).toFixed(1);
    process.stderr.write(
      `\r\x1b[K${this.verb} ${this.label} [${bar}] ${(ratio * 100).toFixed(0)}% ${mib(this.current)}/${mib(this.total)} MiB`,
    );
  }
}
