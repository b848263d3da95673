// How the sandbox answers a Graph request: normally, or as a magic value (or the chaos
// switchboard) asks: a Graph error, a bare HTTP status, a malformed body, no answer, a delay.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import { pausesPage } from '../errors/graph-catalogue';
import { graphError } from './graph-errors';
import type { Magic } from './magic-recipients';
import type { SendOutcome } from './sandbox-observer';
import type { UsageMeter } from './usage-headers';

export type Answer =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; contentType: string; text: string };

/** Carries out what a magic value asks for, or sends the normal answer; resolves with what was answered (undefined: the client left first). */
export async function perform(res: ServerResponse, magic: Magic | undefined, ok: Answer, pageId: string, usage: UsageMeter): Promise<SendOutcome | undefined> {
  switch (magic?.kind) {
    case undefined: {
      await answer(res, ok);
      const body = ok.kind === 'json' ? (ok.body as Record<string, string>) : {};
      return { kind: 'ok', ...(body.message_id ? { messageId: body.message_id } : {}), ...(body.recipient_id ? { recipientId: body.recipient_id } : {}) };
    }
    case 'graph-error': {
      const error = graphError(magic.code, magic.subcode);
      const headers = pausesPage(magic.code) ? usage.exhausted(pageId) : usage.normal(pageId);
      await answer(res, { kind: 'json', status: error.status, body: error.body, headers });
      return { kind: 'graph-error', httpStatus: error.status, error: error.body.error };
    }
    case 'http-status': {
      const reason = STATUS_CODES[magic.status] ?? 'Error';
      const text = `<!DOCTYPE html>\n<html><head><title>${magic.status} ${reason}</title></head><body><h1>${magic.status} ${reason}</h1></body></html>\n`;
      await answer(res, { kind: 'raw', status: magic.status, contentType: 'text/html; charset=utf-8', text });
      return { kind: 'http-status', status: magic.status };
    }
    case 'malformed':
      await answer(res, { kind: 'raw', status: 200, contentType: 'application/json; charset=UTF-8', text: '{"recipient_id":"1","message_id":"m_' });
      return { kind: 'malformed' };
    case 'hang':
      // Never answered: the socket closes when the client gives up or close() runs.
      return { kind: 'no-answer' };
    case 'delay':
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, magic.ms);
        // A client that gave up needs no answer; free the timer instead of waiting it out.
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) return undefined;
      return perform(res, magic.then, ok, pageId, usage);
  }
}

export function answer(res: ServerResponse, a: Answer): Promise<void> {
  if (res.destroyed || res.headersSent) return Promise.resolve();
  if (a.kind === 'raw' && (a.status === 204 || a.status === 304)) {
    // These statuses cannot carry a body.
    res.writeHead(a.status).end();
  } else if (a.kind === 'raw') {
    res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.text) });
    res.end(a.text);
  } else {
    const text = JSON.stringify(a.body);
    res.writeHead(a.status, { ...a.headers, 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
  return Promise.resolve();
}

