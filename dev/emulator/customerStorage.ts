import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import type { CustomerBlobs, RecordingFiles } from './records';
import type { EmulatorState } from './state';

/**
 * Bring your own storage: what ACS writes into the customer's container for a recording started with
 * `externalStorage`, before it announces the recording (Learn "Call recording: Bring your own Azure storage
 * quickstart", MicrosoftDocs/azure-docs articles/communication-services/quickstarts/call-automation/call-recording/
 * bring-your-own-storage.md, "Notification on successful export" and "Folder Structure for Call Recording"):
 *
 *   /YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-acsmetadata.documentId.json
 *   /YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-audiomp3.documentId.mp3
 *
 * What the page leaves open is filled in here, and nothing in the product may rely on it: YYYYMMDD is the recording's
 * UTC start day, `[chunk-id]` the chunk's index, and media other than MP3 is named after the same pattern
 * (`{content type}{format}`: `audiowav`, `audiovideomp4`). The recordingId's first 8 characters are taken as they are
 * (ACS's ids hold `/` and `+`, so a folder may split in two). The container must exist, as in Azure, where ACS does
 * not create it.
 *
 * The emulator writes with the account key of the connection string it was given (Azurite), into a container URL in
 * that account only; any other URL is not written to (as an export to a container ACS cannot reach fails).
 */
export async function writeCustomerFiles(
  state: EmulatorState,
  files: RecordingFiles,
  containerUrl: string,
): Promise<CustomerBlobs[]> {
  const container = customerContainer(state, containerUrl);
  if (!(await container.exists())) throw new Error(`the container ${containerUrl} does not exist`);
  const day = files.recordingStartTime.slice(0, 10).replace(/-/g, '');
  const folder = `${day}/${files.callId}/${files.recordingId.slice(0, 8)}-${randomUUID()}`;
  const format = files.formatType.toLowerCase();
  const kind = `${files.contentType.toLowerCase()}${format}`;
  const written: CustomerBlobs[] = [];
  for (const chunk of files.chunks) {
    const doc = state.documents.get(chunk.documentId);
    if (!doc) throw new Error(`document ${chunk.documentId} is not in the store`);
    const content = `${folder}/${chunk.index}-${kind}.${chunk.documentId}.${format}`;
    const metadata = `${folder}/${chunk.index}-acsmetadata.${chunk.documentId}.json`;
    // Streamed as the store serves it: a multi-gigabyte synthetic chunk is never held in memory.
    const body = Readable.from(doc.content.range(0, doc.content.size - 1));
    await container
      .getBlockBlobClient(content)
      .uploadStream(body, 4 * 1024 * 1024, 4, { blobHTTPHeaders: { blobContentType: doc.mime } });
    await container
      .getBlockBlobClient(metadata)
      .upload(doc.metadata, doc.metadata.length, { blobHTTPHeaders: { blobContentType: 'application/json' } });
    written.push({ index: chunk.index, documentId: chunk.documentId, content, metadata });
  }
  state.log(`wrote ${written.length} chunk(s) of recording ${files.recordingId} into ${containerUrl}/${folder}/`);
  return written;
}

function customerContainer(state: EmulatorState, containerUrl: string) {
  const connectionString = state.settings.customerStorageConnectionString;
  if (!connectionString) throw new Error('the emulator was given no customer storage (customerStorage option)');
  const service = BlobServiceClient.fromConnectionString(connectionString);
  const account = service.url.replace(/\/?$/, '/');
  if (!containerUrl.startsWith(account)) {
    throw new Error(`${containerUrl} is not in the customer storage account the emulator can write to (${account})`);
  }
  const name = containerUrl.slice(account.length).split('/')[0];
  if (!name) throw new Error(`${containerUrl} names no container`);
  return service.getContainerClient(decodeURIComponent(name));
}
