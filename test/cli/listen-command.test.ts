import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EventServiceService, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { freePort } from '../support/gateway-process';
import { runCli } from './run-cli';

/** An EventService that records the authorization each stream arrives with, then ends it cleanly. */
async function startAuthRecorder(): Promise<{ target: string; seen: string[]; close(): void }> {
  const seen: string[] = [];
  const server = new Server();
  server.addService(EventServiceService, {
    streamEvents(call: ServerDuplexStream<StreamEventsRequest, StreamEventsResponse>) {
      seen.push(String(call.metadata.get('authorization')[0] ?? ''));
      call.end();
    },
    listDeadLetters: () => undefined,
    replayDeadLetters: () => undefined,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { target: `127.0.0.1:${port}`, seen, close: () => server.forceShutdown() };
}

// `listen` against a live gateway is run by test/receiving/cli-loop.test.ts and test/cli/pipes.test.ts.
describe('npm run listen', () => {
  it('says "listening" only once subscribed: with no gateway at the target it never does (exit 3)', async () => {
    const r = await runCli(['listen', '--target', `127.0.0.1:${await freePort()}`, '--group', 'g1']);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/listening on/);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'UNAVAILABLE', hint: expect.stringMatching(/no gateway answered/) });
  });

  it('sends the API key from GATEWAY_API_KEY when --api-key is not given (kept off the command line npm echoes)', async () => {
    const recorder = await startAuthRecorder();
    try {
      const r = await runCli(['listen', '--target', recorder.target, '--group', 'g1'], undefined, { GATEWAY_API_KEY: 'mgw_from-the-env' });
      expect(r.code).toBe(0);
      const flag = await runCli(['listen', '--target', recorder.target, '--group', 'g1', '--api-key', 'mgw_from-the-flag'], undefined, { GATEWAY_API_KEY: 'mgw_from-the-env' });
      expect(flag.code).toBe(0);
      expect(recorder.seen).toEqual(['Bearer mgw_from-the-env', 'Bearer mgw_from-the-flag']);
    } finally {
      recorder.close();
    }
  });

  it('--help says Page ids are numeric and that a reader going away ends the stream', async () => {
    const r = await runCli(['listen', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Page ids are numeric/);
    expect(r.stdout).toMatch(/a reader that goes away \(… \| head -1\), ends the stream/);
  });
});
