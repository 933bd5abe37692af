import { newServerCallId, startEmulator } from '../../../../dev/emulator';

/**
 * serverCallIds as ACS issues them: the base64 of a conversation URL. Microsoft's 2025-06-15 StartRecording REST
 * example uses the padded standard form (`aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==`),
 * Learn's voice and video events page an unpadded base64url one.
 */

const CONVERSATION_URL =
  /^https:\/\/api\.flightproxy\.skype\.com\/api\/v2\/cp\/conv-usea2-\d\d\.conv\.skype\.com\/conv\/[A-Za-z0-9_~-]{20,23}\?i=\d{1,2}&e=\d{18}$/;

describe('newServerCallId', () => {
  it("issues padded standard base64 that always holds '+' and '/' and ends in '='", () => {
    for (let i = 0; i < 200; i++) {
      const id = newServerCallId();
      expect(id).toMatch(/^[A-Za-z0-9+/]+={1,2}$/);
      expect(id).toContain('+');
      expect(id).toContain('/');
      expect(Buffer.from(id, 'base64').toString('utf8')).toMatch(CONVERSATION_URL);
    }
  });

  it("issues unpadded base64url that always holds '-' and '_' when asked", () => {
    for (let i = 0; i < 200; i++) {
      const id = newServerCallId('base64url');
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(id).toContain('-');
      expect(id).toContain('_');
      expect(id.length % 4).not.toBe(0);
      expect(Buffer.from(id, 'base64url').toString('utf8')).toMatch(CONVERSATION_URL);
    }
  });

  it('is what calls and recording files get, in the style the emulator was started with', async () => {
    const padded = await startEmulator();
    const unpadded = await startEmulator({ serverCallIdStyle: 'base64url' });
    try {
      expect((await padded.startCall()).serverCallId).toMatch(/^[A-Za-z0-9+/]+={1,2}$/);
      expect((await padded.createRecordingFiles({})).serverCallId).toMatch(/^[A-Za-z0-9+/]+={1,2}$/);
      expect((await unpadded.startCall()).serverCallId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect((await unpadded.createRecordingFiles({})).serverCallId).toMatch(/^[A-Za-z0-9_-]+$/);
    } finally {
      await Promise.all([padded.stop(), unpadded.stop()]);
    }
  });
});
