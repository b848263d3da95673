// A fake Graph API (node:http on loopback) that echoes credentials back in its answers:
// the Bearer token of the request, the Page's app secret, its appsecret_proof and a
// Facebook-shaped user token, in every field of an error (or of a success) body. It plays a
// Graph, or a proxy in front of it, that reflects what it was sent: whatever the gateway
// passes on from it to callers or logs is a leak. What it answers is set by `mode`, changed
// between calls (a test file runs its tests one after another).

import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type EchoMode =
  /** A clean success: `{recipient_id, message_id}` or `{attachment_id}`. */
  | { kind: 'ok' }
  /** 200 with a success body whose ids and extra fields carry the credentials. */
  | { kind: 'success-echo' }
  /** A Graph error envelope whose every field carries the credentials. */
  | { kind: 'graph-error'; code: number; subcode?: number; httpStatus?: number; usageHeaders?: boolean }
  /** Graph error `code` with a clean message and `bytes` of `error_data` (no credentials). */
  | { kind: 'big-error-data'; code: number; bytes: number }
  /** A 5xx whose HTML body (a proxy's error page) carries the credentials. */
  | { kind: 'html'; httpStatus: number };

export interface EchoSecrets {
  /** The Page access token the gateway is configured with (also echoed from the Authorization header). */
  token: string;
  /** The Page's app secret. */
  appSecret: string;
  /** A token shaped like a Facebook user token (`EAA…`), unknown to the gateway. */
  eaa: string;
}

export interface EchoGraph {
  url: string;
  mode: EchoMode;
  /** Answers chosen by the JSON body's `recipient.id`, before `mode` (for clients that cannot switch modes). */
  byRecipient: Record<string, EchoMode>;
  /** Requests received: path, the Authorization header, content type. */
  requests: Array<{ path: string; authorization: string | undefined; contentType: string | undefined }>;
  close(): Promise<void>;
}

/** The classic appsecret_proof of a token: a credential too (it stands in for the secret). */
export function appsecretProof(token: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

/** A random string of letters and digits. */
export function randomAlnum(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < n; i++) out += abc[Math.floor(Math.random() * abc.length)];
  return out;
}

export async function startEchoGraph(secrets: EchoSecrets, initial: EchoMode = { kind: 'ok' }): Promise<EchoGraph> {
  const sockets = new Set<Socket>();
  const requests: EchoGraph['requests'] = [];
  const graph: EchoGraph = { url: '', mode: initial, byRecipient: {}, requests, close: async () => undefined };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const authorization = req.headers.authorization;
      requests.push({ path: req.url ?? '', authorization, contentType: req.headers['content-type'] });
      // The token the request carried, as a reflecting upstream would send it back.
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? secrets.token;
      const mode = graph.byRecipient[recipientOf(Buffer.concat(chunks).toString('utf8')) ?? ''] ?? graph.mode;
      answer(req, res, mode, { ...secrets, token: bearer });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  graph.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  graph.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return graph;
}

/** Every credential in one string, delimited so that shape-based redaction can see each one. */
function everything(s: EchoSecrets): string {
  const proof = appsecretProof(s.token, s.appSecret);
  return `token ${s.token} ; Bearer ${s.token} ; app secret "${s.appSecret}" ; user token ${s.eaa} ; access_token=${s.token} ; appsecret_proof=${proof}`;
}

function answer(req: IncomingMessage, res: ServerResponse, mode: EchoMode, s: EchoSecrets): void {
  const upload = (req.url ?? '').endsWith('/message_attachments');
  const all = everything(s);
  switch (mode.kind) {
    case 'ok':
      return json(res, 200, upload ? { attachment_id: '1857777774821032' } : { recipient_id: '42', message_id: `m_${randomAlnum(12)}` });
    case 'success-echo':
      return json(res, 200, {
        recipient_id: s.token,
        message_id: `m_${s.token}`,
        attachment_id: s.eaa,
        thread_key: s.appSecret,
        gchat_space_name: all,
        debug: all,
        access_token: s.token,
        nested: { secret: s.appSecret, deeper: [s.eaa, { bearer: `Bearer ${s.token}` }] },
      });
    case 'graph-error': {
      const usage = { call_count: 100, total_cputime: 100, total_time: 100 };
      const headers: Record<string, string> = mode.usageHeaders
        ? {
            'x-app-usage': JSON.stringify({ ...usage, note: all }),
            'x-page-usage': JSON.stringify(usage),
            'x-business-use-case-usage': JSON.stringify({ '1001': [{ type: 'messenger', ...usage, estimated_time_to_regain_access: 1, note: all }] }),
          }
        : {};
      return json(res, mode.httpStatus ?? 400, {
        error: {
          message: `(#${mode.code}) Invalid OAuth access token - Cannot parse access token: ${all}`,
          type: `OAuthException ${all}`,
          code: mode.code,
          error_subcode: mode.subcode,
          error_user_title: `Title: ${all}`,
          error_user_msg: `User message: ${all}`,
          error_data: {
            blame_field_specs: [[all]],
            access_token: s.token,
            nested: { deeper: { secret: s.appSecret, tokens: [s.eaa, `Bearer ${s.token}`], text: all } },
          },
          fbtrace_id: `A ${s.token} ${s.eaa} ${s.appSecret}`,
        },
      }, headers);
    }
    case 'big-error-data': {
      // ~`bytes` of JSON in error_data: many keys, each with a long value.
      const data: Record<string, string> = {};
      const per = 1000;
      for (let i = 0; i * per < mode.bytes; i++) data[`field_${i}`] = 'x'.repeat(per - 20);
      return json(res, 400, { error: { message: `(#${mode.code}) Invalid parameter`, type: 'OAuthException', code: mode.code, error_data: data, fbtrace_id: 'AbigErrorData' } });
    }
    case 'html': {
      const html = `<!DOCTYPE html>\n<html><head><title>${mode.httpStatus} Bad Gateway</title></head><body><h1>Bad Gateway</h1><pre>${all}</pre><p>${s.token}</p></body></html>\n`;
      res.writeHead(mode.httpStatus, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'x-debug-token': s.token });
      return void res.end(html);
    }
  }
}

function json(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, { ...headers, 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function recipientOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { recipient?: { id?: unknown } };
    return typeof body.recipient?.id === 'string' ? body.recipient.id : undefined;
  } catch {
    return undefined;
  }
}
