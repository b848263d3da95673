import type { FieldViolation } from './field-violation';

/** Violations kept per request; past this they are only counted (a hostile request can break millions of rules). */
export const MAX_VIOLATIONS = 10_000;

/**
 * Collects violations while a validator walks a request. Validators keep going after a
 * violation so that the caller gets every problem of a request in one answer.
 */
export class ViolationList {
  private readonly kept: FieldViolation[] = [];
  private dropped = 0;

  /** Records one violated rule of `field`. */
  add(field: string, description: string): void {
    if (this.kept.length < MAX_VIOLATIONS) this.kept.push({ field, description });
    else this.dropped++;
  }

  /** Every violation recorded, and one more saying how many were only counted. */
  get items(): FieldViolation[] {
    if (this.dropped === 0) return this.kept;
    return [...this.kept, { field: '(more)', description: `${this.dropped} more violations were found and not listed` }];
  }
}
