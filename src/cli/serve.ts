import { ConfigError } from '../config/load-config';
import { resolveConfig, type ConfigOverrides } from '../config/resolve-config';
import { routeGrpcLogs } from '../log/grpc-js-logger';
import { createLogger, flushLogger, type Logger } from '../log/logger';
import { redactSecrets } from '../redaction/secret-redaction';
import { startGateway } from '../server/gateway-server';
import { ListenError } from '../server/listen-error';
import { InsecureListenError } from '../server/server-credentials';
import { stopTelemetry } from '../telemetry/start-telemetry';

/** Exit code of a setup the operator must change: a bad config, or an address the gateway cannot use. */
const EXIT_BAD_SETUP = 2;
/** Longest the final telemetry flush may take on shutdown (inside the grace period). */
const TELEMETRY_FLUSH_MS = 2_000;

/** `serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. */
export async function serve(overrides: ConfigOverrides): Promise<void> {
  let config;
  try {
    config = resolveConfig(overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_BAD_SETUP);
    }
    throw err;
  }
  const logger = createLogger(config.log.level, undefined, undefined, config.log.format);
  routeGrpcLogs(logger);
  let gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
    // Every startup failure is the operator's to fix: one line naming the key, never a stack
    // trace, never a secret (registered secrets are redacted; config errors quote no strings).
    const known = err instanceof ListenError || err instanceof InsecureListenError || err instanceof ConfigError;
    const text = known ? err.message : `the gateway could not start: ${redactSecrets(err instanceof Error ? err.message : String(err))}`;
    process.stderr.write(`${text.split('\n').filter(Boolean).join('; ')}\n`);
    return exit(logger, EXIT_BAD_SETUP);
  }
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutdown requested');
    // A second signal means "now": skip the grace period.
    process.once(signal, () => void exit(logger, 1));
    const started = Date.now();
    gateway
      .shutdown()
      // The final span flush gets what is left of the grace period (at least 250 ms, at most 2 s):
      // a collector that is down costs a warning, never the exit code.
      .then(() => stopTelemetry(Math.max(250, Math.min(TELEMETRY_FLUSH_MS, config.shutdownDelayMs + config.shutdownGraceMs - (Date.now() - started)))))
      .then((telemetry) => {
        if (!telemetry.ok) logger.warn({ why: telemetry.why }, 'telemetry: the final span flush failed; the spans still queued are lost');
        return exit(logger, 0);
      }, (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        return exit(logger, 1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Exits once every log line written so far is out, in order. */
async function exit(logger: Logger, code: number): Promise<never> {
  await flushLogger(logger);
  process.exit(code);
}
