import { corpusText } from './corpus';

/**
 * The store's answers as Microsoft's SDK tests recorded them (nock recordings in test/fixtures/acs-public/sdk/*.nock.txt,
 * verbatim): each `.reply(status, body, [name, value, ...])` with its headers as a lower-cased record.
 */
export interface RecordedAnswer {
  path: string;
  status: number;
  headers: Record<string, string>;
}

export function recordedAnswers(file: string): RecordedAnswer[] {
  const text = corpusText(file);
  const answers: RecordedAnswer[] = [];
  const reply = /\.get\('([^']+)'\)\s*\.reply\((\d{3}), [\s\S]*?, \[([\s\S]*?)\]\);/g;
  for (const match of text.matchAll(reply)) {
    const values = [...match[3]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < values.length; i += 2) headers[values[i]!.toLowerCase()] = values[i + 1]!;
    answers.push({ path: match[1]!, status: Number(match[2]), headers });
  }
  if (answers.length === 0) throw new Error(`${file} holds no recorded reply`);
  return answers;
}

export const RECORDED_DOWNLOAD = 'sdk/js-callingserver.recording_download.nock.txt';
export const RECORDED_REDIRECT = 'sdk/js-callingserver.recording_download_with_redirection.nock.txt';
