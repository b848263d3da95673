import type { FilePart } from './graph-types';

/**
 * One Graph API request, as a spec of the Graph-call core describes it: the client adds the
 * version prefix, the Page's token (Authorization header) and its appsecret_proof (in the JSON
 * body, the multipart fields, or the query of a GET or DELETE).
 */
export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the version, with its leading slash: `/{page-id}/messages`, `/{psid}`. */
  path: string;
  /**
   * What the client span's `url.full` shows instead of `path`, when the path holds personal data
   * (a PSID: `GET /{psid}`) that `telemetry.recordRecipient` keeps off spans.
   */
  shownPath?: string;
  /** Query parameters (`fields=...`); never a credential. */
  query?: Readonly<Record<string, string>>;
  /** A JSON body (POST). */
  json?: object;
  /** A multipart body (POST): form fields, then the file streamed as `filedata`. Sent once: never retried. */
  multipart?: MultipartBody;
}

export interface MultipartBody {
  /** Form fields; a value that is not a string is sent as its JSON text. */
  fields: Readonly<Record<string, unknown>>;
  file: FilePart;
}
