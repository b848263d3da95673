import { createHmac } from 'node:crypto';

/** The `appsecret_proof` parameters Graph checks when "Require App Secret" is on. */
export interface AppsecretProof {
  appsecret_proof: string;
  appsecret_time?: number;
}

/** Classic proof: lowercase hex HMAC-SHA256 of the token, keyed by the app secret. */
export function classicProof(accessToken: string, appSecret: string): AppsecretProof {
  return { appsecret_proof: createHmac('sha256', appSecret).update(accessToken).digest('hex') };
}

/** Time-stamped proof: HMAC-SHA256 of `token|time`; Graph refuses it after 5 minutes. */
export function timedProof(accessToken: string, appSecret: string, nowSeconds = Math.floor(Date.now() / 1000)): AppsecretProof {
  const proof = createHmac('sha256', appSecret).update(`${accessToken}|${nowSeconds}`).digest('hex');
  return { appsecret_proof: proof, appsecret_time: nowSeconds };
}
