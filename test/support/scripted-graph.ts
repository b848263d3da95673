// A fake Graph API (node:http on loopback) that answers from a script: each request gets the
// next answer of the queue (the last one repeats), and is recorded with its method, path,
// query, headers and body, so that a test can see exactly what the gateway sent.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

export interface ScriptedGraph {
  /** The origin to configure as graph.baseUrl. */
  url: string;
  /** Answers still to give; the last one is given again when the queue runs out. */
  answers: ScriptedAnswer[];
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startScriptedGraph(): Promise<ScriptedGraph> {
  const graph: ScriptedGraph = { url: '', answers: [{ status: 200, body: {} }], requests: [], close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://graph.test');
      graph.requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = graph.answers.length > 1 ? graph.answers.shift()! : graph.answers[0];
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  graph.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  graph.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return graph;
}
