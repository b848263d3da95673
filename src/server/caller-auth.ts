import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { CallerConfig } from '../config/gateway-config';

/** An authenticated calling service. */
export interface Caller {
  name: string;
  /** The pages it may send for; undefined = every page. */
  pages: ReadonlySet<string> | undefined;
  ratePerSecond: number;
}

/** The subset of a TLS peer certificate used to recognise a caller. */
export interface PeerCertificateLike {
  subject?: { CN?: string | string[] };
  subjectaltname?: string;
}

export type AuthResult = { ok: true; caller: Caller } | { ok: false; why: string };

/** A new random API key for a caller (shown once; the config keeps only its salted hash). */
export function generateApiKey(): string {
  return `mgw_${randomBytes(32).toString('base64url')}`;
}

/** `sha256:<salt>:<hash>` of an API key, the form `callers[].apiKeyHash` takes. */
export function hashApiKey(key: string, salt = randomBytes(16).toString('hex')): string {
  return `sha256:${salt}:${createHash('sha256').update(salt).update(key).digest('hex')}`;
}

interface KeyEntry {
  caller: Caller;
  salt: string;
  hash: Buffer;
}

// Verified keys, by an unsalted digest of the key: one hash per call instead of one per caller.
const CACHE_LIMIT = 10_000;

/** Recognises callers by API key (`authorization: Bearer`) or by mTLS client certificate. */
export class CallerAuthenticator {
  private readonly keys: KeyEntry[] = [];
  private readonly certs: Array<{ caller: Caller; commonName?: string; dnsName?: string }> = [];
  private readonly cache = new Map<string, Caller | null>();

  constructor(callers: CallerConfig[]) {
    for (const c of callers) {
      const caller: Caller = { name: c.name, pages: c.pages.includes('*') ? undefined : new Set(c.pages), ratePerSecond: c.ratePerSecond };
      if (c.apiKeyHash) {
        const [, salt, hash] = c.apiKeyHash.split(':');
        this.keys.push({ caller, salt, hash: Buffer.from(hash, 'hex') });
      }
      if (c.certificate) this.certs.push({ caller, ...c.certificate });
    }
  }

  /** Whether any caller is configured (otherwise every call is let in, on loopback only). */
  get enabled(): boolean {
    return this.keys.length > 0 || this.certs.length > 0;
  }

  authenticate(metadata: Metadata, peer: PeerCertificateLike | undefined): AuthResult {
    const header = metadata.get('authorization')[0];
    if (typeof header === 'string' && header !== '') {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) return { ok: false, why: 'the authorization metadata must be "Bearer <api key>"' };
      const caller = this.byKey(m[1]);
      return caller ? { ok: true, caller } : { ok: false, why: 'unknown API key' };
    }
    if (peer) {
      const caller = this.byCertificate(peer);
      return caller ? { ok: true, caller } : { ok: false, why: 'the client certificate belongs to no configured caller' };
    }
    return { ok: false, why: 'no credentials: send "authorization: Bearer <api key>" metadata, or a client certificate' };
  }

  private byKey(key: string): Caller | undefined {
    const digest = createHash('sha256').update(key).digest('hex');
    const cached = this.cache.get(digest);
    if (cached !== undefined) return cached ?? undefined;
    let found: Caller | null = null;
    // Every entry is checked, in constant time each, whatever matches first.
    for (const e of this.keys) {
      const h = createHash('sha256').update(e.salt).update(key).digest();
      if (h.length === e.hash.length && timingSafeEqual(h, e.hash)) found = e.caller;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(digest, found);
    return found ?? undefined;
  }

  private byCertificate(peer: PeerCertificateLike): Caller | undefined {
    const cn = peer.subject?.CN;
    const cns = Array.isArray(cn) ? cn : cn ? [cn] : [];
    const dns = (peer.subjectaltname ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
    return this.certs.find((c) => (c.commonName !== undefined && cns.includes(c.commonName)) || (c.dnsName !== undefined && dns.includes(c.dnsName)))?.caller;
  }
}

/** Whether the caller may act for this page. */
export function mayUsePage(caller: Caller, pageId: string): boolean {
  return caller.pages === undefined || caller.pages.has(pageId);
}
