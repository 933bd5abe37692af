import path from 'node:path';

/** The repository root and the tests' fixtures, wherever a test file sits. */
export const REPO_ROOT = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(__dirname, '..', 'fixtures');
/** Microsoft's published payloads (test/fixtures/acs-public, with SOURCES.md). */
export const ACS_PUBLIC = path.join(FIXTURES, 'acs-public');
/** A tiny function app the local host's own tests load. */
export const HOST_APP = path.join(FIXTURES, 'host-app');
