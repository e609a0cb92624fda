import { composeIngestEvents } from './lib/composition/ingest-events.ts';

// IngestFunction: POST /v1/events. Composed once per container, at cold start.
export const handler = composeIngestEvents();
