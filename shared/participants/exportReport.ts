/** What a participant's export found and copied: written by exportParticipant, rendered by exportReadme. */

export type FileCheck = 'ok' | 'mismatch' | 'no-reference' | 'listed';

export interface ExportedFile {
  /** Path inside the export: `{callId}/{recordingKey}/{file}`. */
  path: string;
  size: number;
  sha256: string | null;
  expectedSha256: string | null;
  expectedSize: number | null;
  reference: 'manifest' | 'blob-metadata' | 'none';
  check: FileCheck;
  problem: string | null;
}

export interface ExportedRecording {
  callId: string;
  recordingKey: string;
  status: string | null;
  recordingStartTime: string | null;
  recordingDurationMs: number | null;
  participants: number;
  /** Chunks the manifest knows that are not archived (pending, expired, failed). */
  chunksNotArchived: { index: number; status: string }[];
  files: ExportedFile[];
  /** Files the manifest says are archived that are not in the archive (paths as in `files`). */
  missing: string[];
  problems: string[];
}

export interface ExportReport {
  participantSha256: string;
  exportedAt: string;
  destination: string | null;
  dryRun: boolean;
  recordings: ExportedRecording[];
  files: number;
  bytes: number;
  mismatches: number;
  /** Files missing from the archive, all recordings together. */
  missing: number;
}
