/** One violated rule of a request, reported in a `google.rpc.BadRequest.FieldViolation`. */
export interface FieldViolation {
  /** Proto field path with proto (snake_case) names, e.g. `message.quick_replies[2].title`. */
  field: string;
  /** Why the value is refused, for people: `must be at most 20 characters (got 24)`. */
  description: string;
}
