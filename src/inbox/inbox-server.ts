import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChaosBoard } from '../sandbox/chaos-board';
import type { PageObjects } from '../sandbox/page-objects';
import { inboxPage } from './inbox-page';
import type { ConversationStore } from './conversation-store';
import { EventStream } from './event-stream';
import { sendJson as json } from '../sandbox/json-http';
import { DEMO_PREFIX } from '../sandbox/sandbox-api';
import { serveDemoImage } from '../sandbox/demo-images';
import { hostAllowed } from '../sandbox/loopback-origin';
import { handleInboxApi, type InboxApiContext } from './inbox-api';
import { loadInboxAssets, type InboxAssets } from './web-bundle';

/** How to start the inbox. */
export interface InboxOptions {
  /** `HOST:PORT` (port 0: any free port). */
  listen: string;
  /** The conversations, fed by the sandbox (its observer). */
  store: ConversationStore;
  /** The sandbox's chaos switchboard. */
  chaos: ChaosBoard;
  /** The sandbox's URL (replies go to its customer API). */
  sandboxUrl: string;
  /** The sandbox's personas and Messenger Profiles (a new conversation's greeting, menu; personas on messages). */
  objects?: PageObjects;
}

export interface InboxServer {
  /** e.g. `http://127.0.0.1:8025`, without a trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

// The page loads only its own files; images and media in messages come from wherever they were sent from.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src * data: blob:; media-src * data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Starts the inbox's HTTP server (the page, its JSON API and its event stream); rejects when the address cannot be bound. */
export async function startInboxServer(options: InboxOptions): Promise<InboxServer> {
  const assets = await loadInboxAssets();
  const events = new EventStream();
  const unsubscribe = options.store.subscribe((conversation) =>
    events.send(conversation ? { type: 'conversation', conversation } : { type: 'cleared' }),
  );
  const unsubscribeChaos = options.chaos.subscribe(() => events.send({ type: 'chaos', chaos: options.chaos.list() }));
  const objects = options.objects;
  const unsubscribePages = objects?.subscribe((pageId) => events.send({ type: 'page', page: inboxPage(objects, pageId) })) ?? (() => undefined);
  const ctx: InboxApiContext = { store: options.store, chaos: options.chaos, events, sandboxUrl: options.sandboxUrl, objects };
  const listenHost = splitListen(options.listen).host;
  const server = createServer((req, res) => {
    handle(req, res, ctx, assets, listenHost).catch((err: unknown) => {
      process.stderr.write(`inbox: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  const { host, port } = splitListen(options.listen);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    unsubscribe();
    unsubscribeChaos();
    unsubscribePages();
    events.close();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        unsubscribeChaos();
        unsubscribePages();
        events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: InboxApiContext, assets: InboxAssets, listenHost: string): Promise<void> {
  // Host names the inbox answers to: loopback names and its listen address (DNS rebinding).
  if (!hostAllowed(req.headers.host, listenHost)) {
    req.resume();
    return json(res, 421, { error: 'this inbox answers only to its own address (loopback)' });
  }
  const url = new URL(req.url ?? '/', 'http://inbox');
  if (url.pathname.startsWith('/api/')) return handleInboxApi(req, res, url, ctx);
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  // The sandbox's demo images, at the inbox's fixed address too (the embedded sandbox's port is
  // chosen at start): the README's image example names this URL.
  if (url.pathname.startsWith(DEMO_PREFIX)) return serveDemoImage(req, res, url.pathname.slice(DEMO_PREFIX.length));
  const file =
    url.pathname === '/' ? { body: assets.html, type: 'text/html; charset=utf-8' }
    : url.pathname === '/app.js' ? { body: assets.js, type: 'text/javascript; charset=utf-8' }
    : url.pathname === '/app.css' ? { body: assets.css, type: 'text/css; charset=utf-8' }
    : url.pathname === '/favicon.ico' ? { body: Buffer.alloc(0), type: 'image/x-icon' }
    : undefined;
  if (!file) return json(res, 404, { error: 'not found' });
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** `HOST:PORT` or `[v6]:PORT` into its parts. */
function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(i + 1)) };
}
