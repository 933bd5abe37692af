import type { ChannelAssignment } from './manifest/manifest';
import { participantIdOf, participantsFromMetadata } from './participantsFromMetadata';

/**
 * What the manifest needs of a chunk's metadata file beyond its participants: the format (`recordingInfo.format`),
 * the content type, and, for unmixed recordings, which participant is on which channel (`participants[].channel`, as
 * Learn's "Call Recording" metadata schema documents it). Lenient like the participants: keys in any case, a real
 * file has had `contentType` and `channelType` swapped, and anything unreadable is null, never an error.
 */
export interface MetadataFacts {
  participants: string[];
  /** Why some participant entries could not be read (positions and keys only: safe to log). */
  problems: string[];
  /** `recordingInfo.format` as written (`mp4`, `mp3`, `wav`), or null. */
  format: string | null;
  /** `audio` or `audioVideo` when either of `recordingInfo.contentType` / `channelType` says so, or null. */
  contentType: string | null;
  /** Sorted by channel; null when no entry names a channel (a mixed recording). */
  channels: ChannelAssignment[] | null;
}

export function metadataFacts(text: string): MetadataFacts {
  const { ids, problems } = participantsFromMetadata(text);
  const root = parsed(text);
  const info = field(root, 'recordingInfo');
  const format = field(info, 'format');
  const contentType = [field(info, 'contentType'), field(info, 'channelType')].find(
    (v): v is string => typeof v === 'string' && /^audio(video)?$/i.test(v),
  );
  return {
    participants: ids,
    problems,
    format: typeof format === 'string' && format.length > 0 && format.length <= 64 ? format : null,
    contentType: contentType ?? null,
    channels: channelsOf(field(root, 'participants')),
  };
}

function channelsOf(list: unknown): ChannelAssignment[] | null {
  if (!Array.isArray(list)) return null;
  const channels: ChannelAssignment[] = [];
  for (const entry of list.slice(0, 10_000)) {
    const raw = field(entry, 'channel');
    const channel = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : raw;
    if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 0 || channel > 9999) continue;
    const participantId = participantIdOf(entry);
    if (participantId === null || channels.some((c) => c.channel === channel)) continue;
    channels.push({ channel, participantId });
  }
  return channels.length > 0 ? channels.sort((a, b) => a.channel - b.channel) : null;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\ufeff/, ''));
  } catch {
    return null;
  }
}

/** A key of a JSON object, compared case-insensitively; undefined when absent or `value` is no object. */
function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}
