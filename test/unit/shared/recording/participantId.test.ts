import { BadInputError } from '../../../../shared/errors';
import {
  canonicalParticipantId,
  isParticipantHash,
  legacyParticipantHash,
  parseParticipantId,
  participantHash,
  participantIdProblem,
  participantMarkerHashes,
} from '../../../../shared/recording/participantId';

// Raw ids from Microsoft's "Understand identifier types" (REST), articles/communication-services/concepts/includes/
// identifiers/identifiers-rest.md in MicrosoftDocs/azure-docs: a Communication user, a Teams user, a phone number.
const ACS_USER = '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715';
const TEAMS_USER = '8:orgid:daba101a-91c5-44c9-bb9b-e2a9a790571a';
const PHONE = '4:+112345556789';
// The same page's example of an identifier of a kind the SDK does not know yet: spaces and all.
const UNKNOWN_KIND = 'a raw id that originated in the service';

describe('participant ids', () => {
  it('hashes the UTF-8 bytes of the canonical id, lowercase hex (values from sha256sum)', () => {
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

describe('canonical participant ids: one person, one hash, however the id was typed', () => {
  // The same page: the gcch cloud's Teams user, and its raw id table's phone form `4:+…` beside the response's `4:…`.
  const GCCH_USER = '8:gcch:daba101a-91c5-44c9-bb9b-e2a9a790571a';
  // Microsoft's call diagnostic logs sample (communication-services/concepts/analytics/logs/voice-and-video-logs.md).
  const LOGS_USER = '8:acs:61fddbe3-0003-4066-97bc-6aaf143bbb84_0000000b-4fee-66cf-ac00-343a0d003158';

  it.each([
    ['a Communication user', ACS_USER, ACS_USER.toUpperCase().replace('8:ACS:', '8:acs:')],
    ['a Communication user, prefix typed in capitals', ACS_USER, ACS_USER.toUpperCase()],
    ['a Communication user from the logs sample', LOGS_USER, LOGS_USER.toUpperCase()],
    ['a Teams user', TEAMS_USER, '8:orgid:DABA101A-91C5-44C9-BB9B-E2A9A790571A'],
    ['a Teams user of the gcch cloud', GCCH_USER, '8:GCCH:DABA101A-91c5-44C9-bb9b-E2A9A790571A'],
    [
      'an anonymous Teams user',
      '8:teamsvisitor:daba101a-91c5-44c9-bb9b-e2a9a790571a',
      '8:teamsvisitor:DABA101A-91C5-44C9-BB9B-E2A9A790571A',
    ],
    ['a Teams app', '28:orgid:daba101a-91c5-44c9-bb9b-e2a9a790571a', '28:orgid:DABA101A-91C5-44C9-BB9B-E2A9A790571A'],
    ['a phone number (E.164)', PHONE, PHONE],
    ['a phone number without its +, as the REST response shows it', PHONE, '4:112345556789'],
    ['a phone number with separators', '4:+14255550123', '4:+1 425-555-0123'],
    ['a phone number with brackets and dots', '4:+14255550123', '4:+1 (425) 555.0123'],
    ['ids pasted with spaces around them', ACS_USER, `  ${ACS_USER}\t`],
  ])('%s', (_what, canonical, typed) => {
    expect(canonicalParticipantId(typed)).toBe(canonical);
    expect(participantHash(typed)).toBe(participantHash(canonical));
  });

  it('the canonical form of a canonical id is itself, so hashes of ids already canonical do not change', () => {
    for (const id of [ACS_USER, TEAMS_USER, PHONE, LOGS_USER, '4:anonymous'])
      expect(canonicalParticipantId(id)).toBe(id);
    expect(participantHash(ACS_USER)).toBe(legacyParticipantHash(ACS_USER));
    expect(participantMarkerHashes(ACS_USER)).toEqual([participantHash(ACS_USER)]);
    // An id typed otherwise has two: the canonical one first, then the one an earlier version wrote.
    expect(participantMarkerHashes(ACS_USER.toUpperCase())).toEqual([
      participantHash(ACS_USER),
      legacyParticipantHash(ACS_USER.toUpperCase()),
    ]);
  });

  it('lowers only the parts that are GUIDs; opaque parts keep their case', () => {
    expect(canonicalParticipantId('8:acs:8540C0DE-899F-5CCE-ACB5-3EC493AF3800_OpaqueUserId')).toBe(
      '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_OpaqueUserId',
    );
    // A Teams extension user: resource, tenant and user, all GUIDs (communication-common's rawId form).
    expect(
      canonicalParticipantId(
        '8:acs:8540C0DE-899F-5CCE-ACB5-3EC493AF3800_72F988BF-86F1-41AF-91AB-2D7CD011DB47_DABA101A-91C5-44C9-BB9B-E2A9A790571A',
      ),
    ).toBe(
      '8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_72f988bf-86f1-41af-91ab-2d7cd011db47_daba101a-91c5-44c9-bb9b-e2a9a790571a',
    );
  });

  it('keeps a phone number it cannot read, an asserted id, anonymous, and unknown kinds as typed (trimmed)', () => {
    expect(canonicalParticipantId('4:+1 425 555 0123_AssertedId')).toBe('4:+14255550123_AssertedId');
    expect(canonicalParticipantId('4:Anonymous')).toBe('4:anonymous');
    expect(canonicalParticipantId('4:not-a-number')).toBe('4:not-a-number');
    expect(canonicalParticipantId('4:+1234567890123456')).toBe('4:+1234567890123456'); // 16 digits: not E.164
    expect(canonicalParticipantId(` ${UNKNOWN_KIND} `)).toBe(UNKNOWN_KIND);
    expect(canonicalParticipantId('99:future:DABA101A-91C5-44C9-BB9B-E2A9A790571A')).toBe(
      '99:future:DABA101A-91C5-44C9-BB9B-E2A9A790571A',
    );
    // A known prefix followed by more ':' segments is no raw id the SDK knows: left alone.
    expect(canonicalParticipantId('8:orgid:DABA101A-91C5-44C9-BB9B-E2A9A790571A:x')).toBe(
      '8:orgid:DABA101A-91C5-44C9-BB9B-E2A9A790571A:x',
    );
  });
});
