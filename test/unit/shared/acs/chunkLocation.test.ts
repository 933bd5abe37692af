import { chunkLocationRefusal } from '../../../../shared/acs/allowList';

/**
 * Where a chunk's content and metadata may be fetched from, by position, not "the documentId somewhere": Microsoft's
 * event samples name `https://storage.asm.skype.com/v1/objects/{documentId}/content/video` (and `acsmetadata`); the
 * 2021 design names `{endpoint}/recording/download/{documentId}[/metadata]`.
 */
const DOC = '0-eus-d2-3cca2175891f21c6c9a5975a12c0141c';
type Where = Parameters<typeof chunkLocationRefusal>[2];
const GA: Where = { endpointHost: 'contoso.communication.azure.com', dialect: 'calling' };
const V2021: Where = { endpointHost: 'contoso.communication.azure.com', dialect: 'conversations' };
const refusal = (url: string, where: Where = GA) => chunkLocationRefusal(new URL(url), DOC, where);

it.each([
  `https://storage.asm.skype.com/v1/objects/${DOC}/content/video`,
  `https://us-storage.asm.skype.com/v1/objects/${DOC}/content/acsmetadata`,
  `https://storage.asm.skype.com/v1/objects/${encodeURIComponent(DOC)}/content/audio`,
])('takes the store path %s on a store host', (url) => {
  expect(refusal(url)).toBeNull();
});

it('takes the 2021 download paths on the ACS endpoint, in the conversations dialect only', () => {
  for (const url of [
    `https://contoso.communication.azure.com/recording/download/${DOC}`,
    `https://contoso.communication.azure.com/recording/download/${DOC}/metadata`,
  ]) {
    expect(refusal(url, V2021)).toBeNull();
    expect(refusal(url, GA)).toBe('a 2021 download path, taken only with ACS_RECORDING_API=conversations');
  }
  expect(refusal(`https://storage.asm.skype.com/recording/download/${DOC}`, V2021)).toBe(
    'a 2021 download path on a host that is not the ACS endpoint',
  );
});

it.each([
  [
    `https://contoso.communication.azure.com/v1/objects/${DOC}/content/video`,
    'a recording store path on the ACS endpoint host',
  ],
  [
    `https://contoso.communication.azure.com./v1/objects/${DOC}/content/video`,
    'a recording store path on the ACS endpoint host',
  ],
  [`https://storage.asm.skype.com/rooms/${DOC}/participants`, 'is not a published location'],
  [`https://contoso.communication.azure.com/calling/recordings/${DOC}`, 'is not a published location'],
  [`https://storage.asm.skype.com/v1/objects/${DOC}/content`, 'is not a published location'],
  [`https://storage.asm.skype.com/v1/objects/${DOC}/content/video/more`, 'is not a published location'],
])('refuses %s', (url, reason) => {
  expect(refusal(url)).toContain(reason);
});

it("tells the local emulator's hosts apart by port (every service is 127.0.0.1 there)", () => {
  const local: Where = { endpointHost: '127.0.0.1:8443', dialect: 'calling' };
  expect(refusal(`http://127.0.0.1:8444/v1/objects/${DOC}/content/video`, local)).toBeNull();
  expect(refusal(`http://127.0.0.1:8443/v1/objects/${DOC}/content/video`, local)).toBe(
    'a recording store path on the ACS endpoint host',
  );
});
