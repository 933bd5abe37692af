/** Where a command reads and writes: the process's streams and settings in the CLI, captured ones in the tests. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}
