import type { FieldViolation } from './field-violation';

/**
 * Collects violations while a validator walks a request. Validators keep going after a
 * violation so that the caller gets every problem of a request in one answer.
 */
export class ViolationList {
  readonly items: FieldViolation[] = [];

  /** Records one violated rule of `field`. */
  add(field: string, description: string): void {
    this.items.push({ field, description });
  }
}
