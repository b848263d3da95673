import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the counting Graph answers to one request (by its arrival index, 0-based). */
export type Behaviour = (index: number, body: Record<string, unknown>) =>
  | { status: number; body: unknown; headers?: Record<string, string>; delayMs?: number }
  | 'hang';

/** A tiny Graph stand-in that records every request and answers as told: for retry and idempotency tests. */
export interface CountingGraph {
  url: string;
  requests: Array<{ at: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const okBody = (i: number) => ({ status: 200, body: { recipient_id: '42', message_id: `m_${i}` } });

export async function startCountingGraph(behaviour: Behaviour = okBody): Promise<CountingGraph> {
  const requests: CountingGraph['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      const index = requests.length;
      requests.push({ at: Date.now(), body });
      const answer = behaviour(index, body);
      if (answer === 'hang') return;
      const send = () => res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Graph's envelope for one error code. */
export function graphErrorBody(code: number, message = `(#${code}) error`) {
  return { error: { message, type: 'OAuthException', code, fbtrace_id: `T${code}` } };
}
