// The recordings list: filters, newest first, one page at a time (the API's continuation token).
import { api } from './api.js';
import { DEADLINE_WARNING_MS, errorBox, formatBytes, formatDuration, formatTime, h, statusBadge } from './format.js';

const FILTERS = ['from', 'to', 'status', 'callId', 'serverCallId', 'participantId'];

/**
 * @param {HTMLElement} main
 * @param {URLSearchParams} params the filters, from the page's hash
 */
export async function showList(main, params) {
  /** @param {string} name @param {string} label @param {string} type */
  const field = (name, label, type = 'text') =>
    h(
      'label',
      {},
      label,
      h('input', { name, type, value: params.get(name) ?? '', size: type === 'text' ? '24' : undefined }),
    );
  const status = h(
    'select',
    { name: 'status' },
    ...['', 'pending', 'complete', 'failed'].map((s) =>
      h('option', { value: s, selected: (params.get('status') ?? '') === s }, s || 'any status'),
    ),
  );
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'filters' },
      field('from', 'From (UTC day)', 'date'),
      field('to', 'To (UTC day)', 'date'),
      h('label', {}, 'Status', status),
      field('callId', 'Call id'),
      field('serverCallId', 'Server call id'),
      field('participantId', 'Participant id'),
      h('button', { type: 'submit' }, 'Filter'),
    )
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = /** @type {string} */ (new FormData(form).get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    location.hash = `#/?${next}`;
  });
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'recordings' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Start (UTC)', 'Duration', 'Chunks', 'Size', 'Participants', 'Status', 'Deadline', 'Call'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  const more = h('button', { type: 'button', hidden: true }, 'More');
  const note = h('p', { class: 'muted' });
  main.replaceChildren(h('h1', {}, 'Recordings'), form, table, h('div', { class: 'actions' }, more), note);

  /** @type {string | null} */
  let token = null;
  let shown = 0;
  const load = async () => {
    more.hidden = true;
    /** @type {Record<string, string | null>} */
    const query = { pageSize: '20', continuationToken: token };
    for (const name of FILTERS) query[name] = params.get(name);
    try {
      const page = await api('recordings', { query });
      for (const row of page.recordings) body.append(rowOf(row));
      shown += page.recordings.length;
      token = page.continuationToken;
      more.hidden = token === null;
      note.textContent = token === null ? `${shown} recording(s).` : `${shown} so far.`;
    } catch (error) {
      note.replaceChildren(errorBox(error));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}

/** @param {any} row */
function rowOf(row) {
  const href = `#/recording/${encodeURIComponent(row.callId)}/${encodeURIComponent(row.recordingKey)}`;
  const left = Date.parse(row.deadline) - Date.now();
  const deadline =
    row.status === 'pending'
      ? h(
          'span',
          { class: left < DEADLINE_WARNING_MS ? 'deadline-soon' : undefined, title: row.deadline },
          formatTime(row.deadline),
        )
      : '–';
  return h(
    'tr',
    { 'data-call-id': row.callId, 'data-recording-key': row.recordingKey },
    h('td', {}, h('a', { href }, formatTime(row.startTime))),
    h('td', { class: 'num' }, formatDuration(row.durationMs)),
    h('td', { class: 'num' }, row.chunkCount),
    h('td', { class: 'num' }, formatBytes(row.totalBytes)),
    h('td', { class: 'num' }, row.participantCount),
    h('td', {}, statusBadge(row.status)),
    h('td', {}, deadline),
    h('td', { class: 'mono' }, row.callId),
  );
}
