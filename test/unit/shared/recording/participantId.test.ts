import { BadInputError } from '../../../../shared/errors';
import {
  isParticipantHash,
  parseParticipantId,
  participantHash,
  participantIdProblem,
} from '../../../../shared/recording/participantId';

// Raw ids from Microsoft's "Understand identifier types" (REST), articles/communication-services/concepts/includes/
// identifiers/identifiers-rest.md in MicrosoftDocs/azure-docs: a Communication user, a Teams user, a phone number.
const ACS_USER = '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715';
const TEAMS_USER = '8:orgid:daba101a-91c5-44c9-bb9b-e2a9a790571a';
const PHONE = '4:+112345556789';
// The same page's example of an identifier of a kind the SDK does not know yet: spaces and all.
const UNKNOWN_KIND = 'a raw id that originated in the service';

describe('participant ids', () => {
  it('hashes the UTF-8 bytes of the id exactly as given, lowercase hex (values from sha256sum)', () => {
    expect(participantHash(ACS_USER)).toBe('87738b1d71020a4916f756c4ff94316a6b0de32dd8868e236c45e9572dac83bf');
    expect(participantHash(TEAMS_USER)).toBe('46297c67bdc2fb1146900063b5791c1be2915f6a33fee69c96c88019ddeb6727');
    expect(participantHash(PHONE)).toBe('6d0f8eaeffa1ab7eff33ef6b21db0bd0036411b839d873fc17f3e670ff58d252');
    expect(participantHash('Zoë')).toBe('c6a12698582fc1104ea24107a2d7268145ff06ef859707729d01fd060897f067');
    expect(isParticipantHash(participantHash(PHONE))).toBe(true);
    expect(isParticipantHash('87738B1D')).toBe(false);
  });

  it.each([
    ['a Communication user', ACS_USER],
    ['a Teams user', TEAMS_USER],
    ['a phone number', PHONE],
    ['an identifier of an unknown kind', UNKNOWN_KIND],
    ['1024 characters', 'x'.repeat(1024)],
  ])('accepts %s', (_what, id) => {
    expect(participantIdProblem(id)).toBeNull();
    expect(parseParticipantId(id)).toBe(id);
  });

  it.each([
    ['an empty string', '', 'is empty'],
    ['1025 characters', 'x'.repeat(1025), 'is 1025 characters long (at most 1024)'],
    ['a line break', `${ACS_USER}\n`, 'contains control or formatting characters'],
    ['a bidi override', '8:acs:\u202eevil', 'contains control or formatting characters'],
    ['a leading space', ' 8:acs:x', 'starts or ends with whitespace'],
    ['a lone surrogate', '8:acs:\ud800', 'is not valid Unicode (a lone surrogate)'],
    ['a number', 42, 'is a number, not a string'],
    ['null', null, 'is a null, not a string'],
  ])('refuses %s', (_what, value, problem) => {
    expect(participantIdProblem(value)).toBe(problem);
  });

  it('refuses a malformed id with a BadInputError naming the field, never echoing the value', () => {
    const error = (() => {
      try {
        parseParticipantId(`8:acs:secret-person\r\n`, 'participantId');
      } catch (e) {
        return e;
      }
    })() as BadInputError;
    expect(error).toBeInstanceOf(BadInputError);
    expect(error.field).toBe('participantId');
    expect(error.code).toBe('InvalidParticipantId');
    expect(error.message).toMatch(/^participantId is not a participant id/);
    expect(error.message).not.toContain('secret-person');
  });
});
