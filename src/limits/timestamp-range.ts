/**
 * The latest instant a google.protobuf.Timestamp can hold (9999-12-31T23:59:59.999Z), in epoch
 * ms. A later time is no Timestamp: the webhook parser leaves such an event time unset, and
 * StreamEvents refuses such a start time.
 */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;
