// Playback: one media element that plays the archived chunks in order. Each chunk's URL is asked for when it is
// about to play (the API writes the access record, then signs a 5-minute read-only URL for that one blob); the blob
// store serves ranges, so seeking within a chunk needs nothing more.
import { api, recordingPath } from './api.js';
import { errorBox, h } from './format.js';

/**
 * @param {any} manifest
 * @param {(index: number | null) => void} onChunk told which chunk plays
 * @returns {{ element: HTMLElement, play: (index: number) => Promise<void> }}
 */
export function createPlayer(manifest, onChunk) {
  const video = manifest.contentType !== 'Audio' && manifest.format !== 'mp3' && manifest.format !== 'wav';
  const media = /** @type {HTMLMediaElement} */ (
    h(video ? 'video' : 'audio', { controls: true, preload: 'none', id: 'player' })
  );
  const status = h('p', { class: 'muted' }, 'Choose a chunk to play, or play from the start.');
  const playable = manifest.chunks.filter(
    (/** @type {any} */ c) => c.status === 'archived' && c.location !== 'external',
  );
  /** @type {number | null} */
  let current = null;

  /** @param {number} index */
  const play = async (index) => {
    try {
      const grant = await api(`${recordingPath(manifest.callId, manifest.recordingKey)}/chunks/${index}/play`, {
        method: 'POST',
      });
      current = index;
      media.src = grant.url;
      media.dataset.chunk = String(index);
      onChunk(index);
      status.textContent = `Chunk ${index} · link valid until ${grant.expiresOn}`;
      await media.play();
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  };
  media.addEventListener('ended', () => {
    const next = playable.find((/** @type {any} */ c) => current !== null && c.index > current);
    if (next) void play(next.index);
    else {
      onChunk(null);
      status.textContent = 'End of the recording.';
    }
  });
  const first = h('button', { type: 'button', id: 'play-all', disabled: playable.length === 0 }, 'Play from the start');
  first.addEventListener('click', () => playable[0] && void play(playable[0].index));
  return { element: h('div', { class: 'player' }, media, h('div', { class: 'actions' }, first), status), play };
}
