// The console's entry: who is signed in, and which view the hash names (#/ the list, #/recording/{callId}/{key}).
import { api, ApiError } from './api.js';
import { errorBox, h } from './format.js';
import { showList } from './list.js';
import { showRecording } from './recording.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const who = /** @type {HTMLElement} */ (document.getElementById('who'));

async function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search] = hash.split('?');
  try {
    const match = /^\/recording\/([^/]+)\/([^/]+)$/.exec(path ?? '');
    if (match) await showRecording(main, decodeURIComponent(match[1] ?? ''), decodeURIComponent(match[2] ?? ''));
    else await showList(main, new URLSearchParams(search ?? ''));
  } catch (error) {
    main.replaceChildren(errorBox(error));
  }
}

async function start() {
  try {
    const me = await api('me');
    who.textContent = `${me.who} · ${me.roles.join(', ') || 'no console role'}`;
  } catch (error) {
    const signIn = error instanceof ApiError && error.code === 'NotSignedIn';
    main.replaceChildren(
      errorBox(error),
      ...(signIn
        ? [
            h(
              'p',
              {},
              h(
                'a',
                {
                  href: `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(location.pathname + location.search)}`,
                },
                'Sign in',
              ),
            ),
          ]
        : []),
    );
    return;
  }
  window.addEventListener('hashchange', () => void route());
  await route();
}

void start();
