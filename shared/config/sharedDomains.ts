/**
 * Domains under which anyone can get a host name of their own (public suffixes, cloud services' shared domains). A
 * download allow-list entry `*.S` over one of them, or over a parent of one (`*.windows.net` covers every storage
 * account), would send ACS credentials to hosts anyone can create. Not the whole Public Suffix List: the suffixes a
 * plausible ACS_DOWNLOAD_HOSTS entry could name (the clouds' shared domains), and every one-label TLD and the usual
 * two-label country suffixes (co.uk, com.au, ...) by their shape.
 */
const SHARED_DOMAINS = [
  // Azure (public, US Government, China)
  'blob.core.windows.net',
  'dfs.core.windows.net',
  'file.core.windows.net',
  'queue.core.windows.net',
  'table.core.windows.net',
  'web.core.windows.net',
  'azurewebsites.net',
  'cloudapp.azure.com',
  'cloudapp.net',
  'azureedge.net',
  'azurefd.net',
  'trafficmanager.net',
  'azure-api.net',
  'azurecr.io',
  'azurestaticapps.net',
  'servicebus.windows.net',
  'vault.azure.net',
  'blob.core.usgovcloudapi.net',
  'blob.core.chinacloudapi.cn',
  // Other clouds and hosting
  's3.amazonaws.com',
  'amazonaws.com',
  'cloudfront.net',
  'storage.googleapis.com',
  'googleusercontent.com',
  'appspot.com',
  'web.app',
  'firebaseapp.com',
  'herokuapp.com',
  'github.io',
  'githubusercontent.com',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'ngrok.io',
  'ngrok-free.app',
];

/** Why a `*.suffix` entry would reach hosts anyone can create, or null. `suffix` is lower case, without `*.`. */
export function sharedSuffixReason(suffix: string): string | null {
  const labels = suffix.split('.');
  if (labels.length === 1) return `*.${suffix} covers a whole top-level domain`;
  if (labels.length === 2 && /^(com|net|org|gov|edu|co|ac|ne|or|go)$/.test(labels[0]!) && labels[1]!.length === 2) {
    return `*.${suffix} covers a whole country's public suffix`;
  }
  const covered = SHARED_DOMAINS.find((shared) => shared === suffix || shared.endsWith(`.${suffix}`));
  return covered ? `*.${suffix} covers ${covered}, where anyone can create a host` : null;
}
