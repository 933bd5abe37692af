import { locationRefusal } from '../../../../shared/acs/allowList';
import { DEFAULT_DOWNLOAD_HOSTS } from '../../../../shared/config';

const hosts = [...DEFAULT_DOWNLOAD_HOSTS, 'contoso.communication.azure.com', '127.0.0.1'];

describe('download allow-list', () => {
  it.each([
    'https://storage.asm.skype.com/v1/objects/x/content/video',
    'https://us-storage.asm.skype.com/v1/objects/x',
    'https://eu.asyncgw.teams.microsoft.com/v1/objects/x',
    'https://x.ams.gov.teams.microsoft.us/v1/objects/x',
    'https://contoso.communication.azure.com/recording/download/x',
    'https://STORAGE.ASM.SKYPE.COM:443/v1/objects/x',
    'http://127.0.0.1:8444/v1/objects/x',
  ])('allows %s', (location) => {
    expect(locationRefusal(new URL(location), hosts)).toBeNull();
  });

  it.each([
    ['http://storage.asm.skype.com/v1/objects/x', /https/],
    ['https://asm.skype.com.evil.example/x', /allow-list/],
    ['https://evilasm.skype.com/x', /allow-list/],
    ['https://asm.skype.com/x', /allow-list/], // the wildcard needs a sub-domain
    ['https://169.254.169.254/metadata/identity', /allow-list/],
    ['https://user:pw@storage.asm.skype.com/x', /credentials/],
    ['ftp://storage.asm.skype.com/x', /https/],
    ['http://localhost:8444/x', /allow-list/], // loopback http is fine, but only for allowed names
  ])('refuses %s', (location, reason) => {
    expect(locationRefusal(new URL(location), hosts)).toMatch(reason);
  });
});
