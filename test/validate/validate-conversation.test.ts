import { describe, expect, it } from 'vitest';
import {
  validateGetThreadOwner,
  validateGetUserProfile,
  validatePassThreadControl,
  validateTakeOrRequestThreadControl,
} from '../../src/validate/validate-conversation';
import { isNumericId } from '../../src/validate/field-checks';

const configured = (id: string) => id === '1001';
const fields = (v: { field: string }[]) => v.map((x) => x.field);
const pass = (o: Partial<{ pageId: string; recipientId: string; targetAppId: string; metadata: string }>) =>
  validatePassThreadControl({ pageId: '1001', recipientId: '123', targetAppId: '263902037430900', metadata: '', idempotencyKey: '', ...o }, configured, isNumericId);

describe('ConversationService validation', () => {
  it('accepts a valid pass, take, request, owner and profile lookup', () => {
    expect(pass({})).toEqual([]);
    expect(validateTakeOrRequestThreadControl({ pageId: '1001', recipientId: '1', metadata: 'x'.repeat(1000), idempotencyKey: '' }, configured, isNumericId)).toEqual([]);
    expect(validateGetThreadOwner({ pageId: '1001', recipientId: '1' }, configured, isNumericId)).toEqual([]);
    expect(validateGetUserProfile({ pageId: '1001', recipientId: '1', fields: ['first_name', 'timezone', 'username'] }, configured, isNumericId)).toEqual([]);
  });

  it('lists every violation of a request at once', () => {
    const v = pass({ pageId: '', recipientId: 'abc', targetAppId: '', metadata: 'x'.repeat(1001) });
    expect(fields(v)).toEqual(['page_id', 'recipient_id', 'metadata', 'target_app_id']);
    expect(v[2].description).toBe('must be at most 1000 characters (got 1001)');
  });

  it('page_id: required, configured', () => {
    expect(pass({ pageId: '' })[0]).toEqual({ field: 'page_id', description: 'is required' });
    expect(pass({ pageId: '9999' })[0].description).toContain('is not configured');
  });

  it('recipient_id: required, digits, bounded (never echoed whole)', () => {
    expect(pass({ recipientId: '' })).toEqual([{ field: 'recipient_id', description: 'is required' }]);
    expect(pass({ recipientId: '12a' })[0].description).toBe('must be a numeric PSID (got "12a")');
    expect(pass({ recipientId: '1'.repeat(65) })[0].description).toContain('(65 characters)');
  });

  it('target_app_id: required for a pass, digits (even where magic recipients are accepted)', () => {
    expect(pass({ targetAppId: '' })).toEqual([{ field: 'target_app_id', description: 'is required' }]);
    expect(fields(pass({ targetAppId: 'inbox' }))).toEqual(['target_app_id']);
    const magic = (s: string) => s === 'error-100';
    expect(fields(validatePassThreadControl({ pageId: '1001', recipientId: 'error-100', targetAppId: 'error-100', metadata: '', idempotencyKey: '' }, configured, magic))).toEqual(['target_app_id']);
  });

  it('metadata: at most 1000 characters, counted as code points', () => {
    expect(pass({ metadata: '😀'.repeat(1000) })).toEqual([]);
    expect(fields(pass({ metadata: '😀'.repeat(1001) }))).toEqual(['metadata']);
    expect(fields(validateTakeOrRequestThreadControl({ pageId: '1001', recipientId: '1', metadata: 'x'.repeat(1001), idempotencyKey: '' }, configured, isNumericId))).toEqual(['metadata']);
  });

  it('GetThreadOwner: page and recipient', () => {
    expect(fields(validateGetThreadOwner({ pageId: '', recipientId: '' }, configured, isNumericId))).toEqual(['page_id', 'recipient_id']);
  });

  it('GetUserProfile: fields from the allowed list, each once, at most all of them', () => {
    const v = validateGetUserProfile({ pageId: '1001', recipientId: '1', fields: ['first_name', 'email', 'first_name', ''] }, configured, isNumericId);
    expect(fields(v)).toEqual(['fields[1]', 'fields[2]', 'fields[3]']);
    expect(v[0].description).toMatch(/^must be one of id, name, first_name, .* \(got "email"\)$/);
    expect(v[1].description).toBe('"first_name" is named twice');
    const many = validateGetUserProfile({ pageId: '1001', recipientId: '1', fields: Array(13).fill('id') }, configured, isNumericId);
    expect(many).toEqual([{ field: 'fields', description: 'at most 12 fields (got 13)' }]);
  });
});
