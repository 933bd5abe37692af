/**
 * What a manifest chunk says about where its files are, for recordings ACS made into the customer's own container
 * (bring your own storage): there they are verified in place, not copied (inPlace/archiveInPlace.ts). Every key is
 * optional, so manifests written before them read as they always did.
 */
export interface InPlaceChunkFields {
  /**
   * Which container `blob` and `metadataBlob` are in: `archive` (ARCHIVE_CONTAINER: every chunk this archiver
   * copied; an absent value means the same) or `external` (the files ACS itself wrote into
   * RECORDING_EXTERNAL_STORAGE_URL's container, verified there in place). Fixed once a chunk's place is decided.
   */
  location?: ChunkLocation | null;
  /** `external` chunks: the URLs of `blob` and `metadataBlob` (never with a SAS or any other query). */
  blobUrl?: string | null;
  metadataBlobUrl?: string | null;
  /** `external` chunks: the size the ACS store declared for the chunk (null: the store no longer had it). */
  sourceSize?: number | null;
  /** `external` chunks: the metadata file's size and SHA-256 (the archive's own copies carry theirs as blob metadata). */
  metadataSize?: number | null;
  metadataSha256?: string | null;
  /** When the first look found the chunk's files not (yet) in the customer's container. */
  inPlaceWaitingSince?: string | null;
  /** Why a chunk of such a recording was copied from the ACS store instead of verified in place. */
  inPlaceFallback?: string | null;
}

export type ChunkLocation = 'archive' | 'external';
