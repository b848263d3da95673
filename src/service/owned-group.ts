/**
 * Consumer groups belong to their caller: with callers configured, the store's key of a group is
 * `<caller>/<name>`, so two callers asking for the same name get two groups and none can reach
 * another's (consume, ack, dead letters, or learn that it exists). The caller's name is
 * percent-encoded (`/` and `%` included) and group names cannot hold `/`: no name can forge
 * another caller's prefix, and a key without `/` is never a caller's. Without callers (one
 * trusted network) the key is the name, as before owners existed.
 */
export function ownedGroup(caller: string | undefined, name: string): string {
  return caller === undefined ? name : `${encodeURIComponent(caller)}/${name}`;
}
