import type { ExportReport } from './exportReport';

/** The README.txt of an export: what was found, when, and the SHA-256 of every file with the result of its check. Pure. */
export function renderExportReadme(report: ExportReport): string {
  const lines = [
    'Export of the call recordings of one participant',
    '=================================================',
    '',
    `Exported at:      ${report.exportedAt}`,
    `Participant:      SHA-256 ${report.participantSha256} (SHA-256 of the participant id's UTF-8 bytes)`,
    `Recordings found: ${report.recordings.length}`,
    `Files:            ${report.files} (${report.bytes} bytes)`,
    `Hash mismatches:  ${report.mismatches}`,
    `Missing files:    ${report.missing} (the archive's manifest says archived; not in the archive)`,
    '',
    'Each recording is a folder {callId}/{recordingKey}/ holding manifest.json (what the archive recorded about the',
    'recording), chunk-NNNN.<format> (the media, in chunk order) and chunk-NNNN.metadata.json (the metadata file Azure',
    'Communication Services wrote for the chunk, byte for byte). Every file was hashed (SHA-256) while it was copied and',
    'compared with the archive: media with the manifest, metadata files with the sha256 the archiver stored with them.',
    'Check a file with `sha256sum FILE` (Linux) or `Get-FileHash FILE` (PowerShell).',
    '',
    'NOTE: a recording holds everyone in the call. Recordings with other participants contain their voices, images and',
    'ids too; review them before handing this export to anyone.',
    '',
  ];
  if (report.recordings.length === 0) lines.push('No recording of this participant was found in the archive.', '');
  for (const recording of report.recordings) {
    lines.push(
      `Recording ${recording.callId}/${recording.recordingKey}`,
      `  status:       ${recording.status ?? 'unknown (no manifest)'}`,
      `  started:      ${recording.recordingStartTime ?? 'unknown'}`,
      `  duration:     ${recording.recordingDurationMs === null ? 'unknown' : `${recording.recordingDurationMs} ms`}`,
      `  participants: ${recording.participants}`,
    );
    for (const chunk of recording.chunksNotArchived) {
      lines.push(`  chunk ${chunk.index} is not in the archive (${chunk.status})`);
    }
    for (const problem of recording.problems) lines.push(`  note: ${problem}`);
    for (const path of recording.missing) {
      lines.push(`  MISSING: ${path.slice(path.lastIndexOf('/') + 1)} (the manifest says it is archived)`);
    }
    lines.push('  files:');
    for (const file of recording.files) {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      lines.push(`    ${name}  ${file.size} bytes  sha256 ${file.sha256 ?? '(not copied)'}  ${describeCheck(file)}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function describeCheck(file: ExportReport['recordings'][number]['files'][number]): string {
  switch (file.check) {
    case 'ok':
      return file.reference === 'manifest' ? 'matches the manifest' : "matches the blob's sha256 metadata";
    case 'mismatch':
      return `MISMATCH: ${file.problem ?? ''}`;
    case 'no-reference':
      return 'no reference hash in the archive';
    case 'listed':
      return 'listed only';
  }
}
