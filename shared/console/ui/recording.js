// A recording's page: the manifest as a picture (timeline, participants, integrity), playback, and the actions.
import { api, recordingPath } from './api.js';
import { errorBox, formatBytes, formatDuration, formatTime, h, statusBadge } from './format.js';
import { createPlayer } from './player.js';

/**
 * @param {HTMLElement} main
 * @param {string} callId
 * @param {string} recordingKey
 */
export async function showRecording(main, callId, recordingKey) {
  main.replaceChildren(h('p', {}, 'Loading…'));
  const path = recordingPath(callId, recordingKey);
  const detail = await api(path);
  const { manifest, timings, legalHold } = detail;
  /** @type {Map<number, any>} */
  const timingOf = new Map(timings.map((/** @type {any} */ t) => [t.index, t]));
  const timeline = h('div', { class: 'timeline', id: 'timeline' });
  const player = createPlayer(manifest, (index) => {
    for (const cell of timeline.children)
      cell.classList.toggle('playing', cell.getAttribute('data-index') === String(index));
  });
  for (const chunk of manifest.chunks) timeline.append(chunkCell(chunk, timingOf.get(chunk.index), player.play));
  const checks = h('tbody');
  for (const chunk of manifest.chunks) checks.append(integrityRow(chunk));

  const verify = h('button', { type: 'button', id: 'verify' }, 'Verify all chunks again');
  const progress = /** @type {HTMLProgressElement} */ (
    h('progress', { max: String(manifest.chunks.length), value: '0', hidden: true })
  );
  verify.addEventListener('click', () => void verifyAll(manifest, path, progress, checks));
  const logButton = h('button', { type: 'button', id: 'show-access-log' }, 'Show access log');
  const log = h('div', { id: 'access-log' });
  logButton.addEventListener('click', () => void showAccessLog(path, log));

  /** @param {string} name */
  const raw = (name) => {
    const button = h('button', { type: 'button', class: 'raw' }, name);
    button.addEventListener('click', () => void openRaw(`${path}/files/${name}`));
    return button;
  };
  const channels = manifest.channels ?? [];
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← All recordings')),
    h('h1', {}, `Recording ${manifest.recordingKey}`),
    h(
      'div',
      { class: 'facts' },
      ...fact('Call id', h('code', {}, manifest.callId)),
      ...fact('Server call id', h('code', {}, manifest.serverCallId ?? '–')),
      ...fact('Recording id', h('code', {}, manifest.recordingId ?? '–')),
      ...fact('Status', statusBadge(manifest.status)),
      ...fact('Started', formatTime(manifest.recordingStartTime)),
      ...fact('Duration', formatDuration(manifest.recordingDurationMs)),
      ...fact(
        'Content',
        `${manifest.contentType ?? '–'} · ${manifest.channelType ?? '–'} · ${manifest.formatType ?? manifest.format ?? '–'}`,
      ),
      ...fact('Source deadline', formatTime(manifest.deadline)),
      ...fact('Legal hold', legalHold.held ? `held (${legalHold.tags.join(', ')})` : 'none'),
      ...fact('Event ids', h('span', { class: 'mono' }, manifest.eventIds.join(', '))),
    ),
    h('h2', {}, 'Timeline'),
    timeline,
    h(
      'p',
      { class: 'muted' },
      'Width by duration; green archived, yellow pending, red failed or expired; hatched: paused.',
    ),
    player.element,
    h('h2', {}, 'Participants'),
    h(
      'ul',
      { id: 'participants' },
      ...manifest.participants.map((/** @type {string} */ p) => h('li', { class: 'mono' }, p)),
    ),
    ...(channels.length
      ? [
          h(
            'table',
            { id: 'channels' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Channel'), h('th', {}, 'Participant'))),
            h(
              'tbody',
              {},
              ...channels.map((/** @type {any} */ c) =>
                h('tr', {}, h('td', {}, c.channel), h('td', { class: 'mono' }, c.participantId)),
              ),
            ),
          ),
        ]
      : []),
    h('h2', {}, 'Integrity'),
    h(
      'table',
      { id: 'chunks' },
      h(
        'thead',
        {},
        h('tr', {}, ...['Chunk', 'Status', 'Size', 'SHA-256', 'MD5', 'Last verified'].map((t) => h('th', {}, t))),
      ),
      checks,
    ),
    h(
      'div',
      { class: 'actions' },
      verify,
      progress,
      logButton,
      raw('manifest.json'),
      ...manifest.chunks.map((/** @type {any} */ c) => raw(`chunk-${String(c.index).padStart(4, '0')}.metadata.json`)),
    ),
    log,
  );
}

/** @param {string} label @param {Node | string} value */
function fact(label, value) {
  return [h('span', { class: 'muted' }, label), h('span', {}, value)];
}

/**
 * @param {any} chunk
 * @param {any} timing
 * @param {(index: number) => Promise<void>} play
 */
function chunkCell(chunk, timing, play) {
  const duration = timing?.durationMs ?? null;
  const cell = h(
    'div',
    {
      class: `chunk status-${chunk.status}`,
      'data-index': String(chunk.index),
      title: `chunk ${chunk.index}: ${chunk.status}, ${formatDuration(duration)}`,
      style: `flex: ${Math.max(1, duration ?? 1000)} 1 0`,
    },
    String(chunk.index),
  );
  if (duration && timing.startTime) {
    const start = Date.parse(timing.startTime);
    for (const pause of timing.pauseResumeIntervals) {
      const left = ((Date.parse(pause.startTime) - start) / duration) * 100;
      const width = (pause.durationMs / duration) * 100;
      cell.append(
        h('span', {
          class: 'pause',
          style: `left: ${left}%; width: ${width}%`,
          title: `paused ${formatDuration(pause.durationMs)}`,
        }),
      );
    }
  }
  if (chunk.status === 'archived' && chunk.location !== 'external')
    cell.addEventListener('click', () => void play(chunk.index));
  return cell;
}

/** @param {any} chunk */
function integrityRow(chunk) {
  return h(
    'tr',
    { 'data-index': String(chunk.index) },
    h('td', {}, chunk.index),
    h('td', {}, statusBadge(chunk.status)),
    h('td', { class: 'num' }, formatBytes(chunk.size)),
    h('td', { class: 'mono' }, chunk.sha256 ?? '–'),
    h('td', { class: 'mono' }, chunk.md5 ?? '–'),
    h('td', { class: 'verified' }, formatTime(chunk.archivedAt)),
  );
}

/**
 * @param {any} manifest
 * @param {string} path
 * @param {HTMLProgressElement} progress
 * @param {HTMLElement} checks
 */
async function verifyAll(manifest, path, progress, checks) {
  progress.hidden = false;
  progress.value = 0;
  for (const chunk of manifest.chunks) {
    const cell = checks.querySelector(`tr[data-index="${chunk.index}"] td.verified`);
    if (chunk.status !== 'archived' || chunk.location === 'external') {
      progress.value += 1;
      continue;
    }
    try {
      const check = await api(`${path}/chunks/${chunk.index}/verify`, { method: 'POST' });
      if (cell) cell.textContent = `${check.ok ? '✔ matches' : '✘ DIFFERS'} · ${formatTime(check.verifiedAt)}`;
    } catch (error) {
      cell?.replaceChildren(errorBox(error));
    }
    progress.value += 1;
  }
}

/** @param {string} path @param {HTMLElement} target */
async function showAccessLog(path, target) {
  try {
    const page = await api(`${path}/access-log`);
    target.replaceChildren(
      h('h2', {}, 'Access log'),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...['When', 'Who', 'Action', 'Chunk', 'From'].map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          ...page.records.map((/** @type {any} */ r) =>
            h(
              'tr',
              {},
              h('td', {}, formatTime(r.at)),
              h('td', {}, r.who),
              h('td', {}, r.action),
              h('td', {}, r.chunk ?? '–'),
              h('td', {}, r.from?.address ?? '–'),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    target.replaceChildren(errorBox(error));
  }
}

/** The raw file in a new tab, fetched with this page's credentials. @param {string} path */
async function openRaw(path) {
  const text = await api(path, { raw: true });
  window.open(URL.createObjectURL(new Blob([text], { type: 'application/json' })), '_blank', 'noopener');
}
