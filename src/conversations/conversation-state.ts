import type { Platform } from '../config/gateway-config';
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS } from '../limits/graph-limits';
import type { ConversationRecord } from './conversation-record';

/**
 * What may be sent now, by Meta's windows. After the human-agent window a Messenger Page still
 * has utility templates; an Instagram account has none, so nothing until the person writes again.
 */
export type Allowance = 'unknown' | 'any' | 'human-agent' | 'utility' | 'none';

/**
 * When the standard window ends (epoch ms; 0 unknown): 24 h after the last inbound action,
 * sooner when Graph refused a send as outside it after that action (Graph knows better).
 */
export function standardWindowEnd(r: ConversationRecord): number {
  if (r.lastInboundMs === 0) return r.windowRefusedMs;
  const end = r.lastInboundMs + STANDARD_WINDOW_MS;
  return r.windowRefusedMs > r.lastInboundMs && r.windowRefusedMs < end ? r.windowRefusedMs : end;
}

/** When the human-agent window ends (epoch ms; 0 unknown): 7 days after the last inbound action. */
export function humanAgentWindowEnd(r: ConversationRecord): number {
  return r.lastInboundMs === 0 ? 0 : r.lastInboundMs + HUMAN_AGENT_WINDOW_MS;
}

/** What may be sent at `nowMs` on the account's platform. */
export function allowanceAt(r: ConversationRecord, nowMs: number, platform: Platform): Allowance {
  const end = standardWindowEnd(r);
  if (end === 0) return 'unknown';
  if (nowMs < end) return 'any';
  if (r.lastInboundMs === 0) return 'unknown';
  if (nowMs < humanAgentWindowEnd(r)) return 'human-agent';
  return platform === 'instagram' ? 'none' : 'utility';
}
