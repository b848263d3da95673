import type { Metadata } from '@grpc/grpc-js';
import type { ConversationGuard } from '../conversations/conversation-guard';
import type { DeliveryConfig } from '../config/gateway-config';
import type { IdempotencyStore, PageRateLimiter } from '../delivery/delivery-types';
import type { GraphClient } from '../graph/graph-client';
import type { PageDirectory } from '../graph/page-directory';
import type { Logger } from '../log/logger';

/** What the RPC handlers need: built once by the server wiring. */
export interface ServiceDeps {
  graph: GraphClient;
  pages: PageDirectory;
  logger: Logger;
  /** Put recipient ids on spans (`telemetry.recordRecipient`). */
  recordRecipient: boolean;
  idempotency: IdempotencyStore;
  rateLimiter: PageRateLimiter;
  delivery: DeliveryConfig;
  /** `graph.timeoutMs`: the budget of a send that has no caller deadline. */
  graphTimeoutMs: number;
  /** Sandbox mode: Graph's answers are simulated, and errors say so where it helps. */
  sandbox: boolean;
  /** `limits.maxUploadBytes`: the largest file an UploadAttachment stream may carry. */
  maxUploadBytes: number;
  /** `limits.streamIdleMs`: a client stream that sends nothing this long is ended (CLIENT_STREAM_IDLE). */
  streamIdleMs: number;
  /**
   * The authenticated caller's name for a call (by its metadata object), as the server's access
   * check recorded it; undefined without caller authentication. Nothing a client sends can set it.
   */
  callerOf(metadata: Metadata): string | undefined;
  /** The conversation records and the send policy (every gateway has them; optional for tests' deps). */
  conversations?: ConversationGuard;
}
