// Every rule PageService checks before Graph, one violation at a time, and all of them at once.
import { describe, expect, it } from 'vitest';
import { CreateMessageTemplateRequest, CreatePersonaRequest, DeleteMessengerProfileRequest, GetMessengerProfileRequest, SetMessengerProfileRequest, type DeepPartial } from '../../gen/messenger/v1/page';
import { validateCreateMessageTemplate } from '../../src/validate/validate-message-template';
import { validateDeleteMessengerProfile, validateGetMessengerProfile, validateSetMessengerProfile } from '../../src/validate/validate-messenger-profile';
import { validateCreatePersona, validateListPersonas, validatePersonaRef } from '../../src/validate/validate-persona';

const configured = (id: string) => id === '1001';
const set = (p: DeepPartial<SetMessengerProfileRequest>) => validateSetMessengerProfile(SetMessengerProfileRequest.fromPartial({ pageId: '1001', ...p }), configured);
const fields = (v: { field: string }[]) => v.map((x) => x.field);
const menuItem = (i: number) => ({ type: 'postback', title: `t${i}`, payload: 'p' });

describe('personas', () => {
  it('name at most 50 characters (emoji count once), an https picture, a configured Page, a numeric id, a page size up to 100', () => {
    expect(validateCreatePersona(CreatePersonaRequest.fromPartial({ pageId: '1001', name: '😊'.repeat(50), profilePictureUrl: 'https://x.example/a.png' }), configured)).toEqual([]);
    expect(fields(validateCreatePersona(CreatePersonaRequest.fromPartial({ pageId: '2002', name: 'x'.repeat(51), profilePictureUrl: 'http://x.example/a.png' }), configured))).toEqual(['page_id', 'name', 'profile_picture_url']);
    expect(fields(validateCreatePersona(CreatePersonaRequest.fromPartial({ pageId: '1001' }), configured))).toEqual(['name', 'profile_picture_url']);
    expect(fields(validatePersonaRef({ pageId: '1001', personaId: '12a' }, configured))).toEqual(['persona_id']);
    expect(fields(validateListPersonas({ pageId: '1001', limit: 101, after: '' }, configured))).toEqual(['limit']);
  });
});

describe('the Messenger Profile', () => {
  it('sets at least one property', () => {
    expect(fields(set({}))).toEqual(['(request)']);
  });

  it('greeting: a default locale, each locale once, text set and at most 160 characters', () => {
    expect(set({ greeting: [{ locale: 'default', text: 'x'.repeat(160) }] })).toEqual([]);
    expect(fields(set({ greeting: [{ locale: 'en_US', text: 'x'.repeat(161) }, { locale: 'en_US', text: '' }] }))).toEqual(['greeting[1].locale', 'greeting', 'greeting[0].text', 'greeting[1].text']);
  });

  it('persistent menu: only with get_started, a default locale, at most 20 items, postback with payload, web_url with an https url, a known height ratio, titles at most 30', () => {
    expect(set({ getStarted: { payload: 'G' }, persistentMenu: [{ locale: 'default', callToActions: Array.from({ length: 20 }, (_, i) => menuItem(i)) }] })).toEqual([]);
    expect(fields(set({ persistentMenu: [{ locale: 'default', callToActions: [menuItem(1)] }] }))).toEqual(['persistent_menu']);
    expect(fields(set({ getStarted: { payload: 'G' }, persistentMenu: [{ locale: 'fr_FR', callToActions: Array.from({ length: 21 }, (_, i) => menuItem(i)) }] }))).toEqual(['persistent_menu', 'persistent_menu[0].call_to_actions']);
    expect(fields(set({
      getStarted: { payload: 'G' },
      persistentMenu: [{ locale: 'default', callToActions: [
        { type: 'postback', title: 'x'.repeat(31) },
        { type: 'web_url', title: 'Shop', url: 'http://shop.example', webviewHeightRatio: 'huge' },
        { type: 'nested', title: 'N' },
      ] }],
    }))).toEqual(['persistent_menu[0].call_to_actions[0].title', 'persistent_menu[0].call_to_actions[0].payload', 'persistent_menu[0].call_to_actions[1].url', 'persistent_menu[0].call_to_actions[1].webview_height_ratio', 'persistent_menu[0].call_to_actions[2].type']);
  });

  it('a huge menu is one violation, its items not walked', () => {
    const v = set({ getStarted: { payload: 'G' }, persistentMenu: [{ locale: 'default', callToActions: Array.from({ length: 100_000 }, (_, i) => menuItem(i)) }] });
    expect(v).toHaveLength(1);
    expect(v[0]!.description).toContain('at most 20 items (got 100000)');
  });

  it('ice breakers: a default locale, 1 to 4 questions with question and payload', () => {
    expect(set({ iceBreakers: [{ locale: 'default', callToActions: [{ question: 'Q', payload: 'P' }] }] })).toEqual([]);
    expect(fields(set({ iceBreakers: [{ locale: 'default', callToActions: Array.from({ length: 5 }, () => ({ question: 'Q', payload: 'P' })) }] }))).toEqual(['ice_breakers[0].call_to_actions']);
    expect(fields(set({ iceBreakers: [{ locale: 'default', callToActions: [{ question: '', payload: '' }] }] }))).toEqual(['ice_breakers[0].call_to_actions[0].question', 'ice_breakers[0].call_to_actions[0].payload']);
  });

  it('at most 50 whitelisted https domains; an https account linking URL; commands with name and description', () => {
    expect(fields(set({ whitelistedDomains: Array.from({ length: 51 }, (_, i) => `https://d${i}.example`) }))).toEqual(['whitelisted_domains']);
    expect(fields(set({ whitelistedDomains: ['http://a.example'], accountLinkingUrl: 'ftp://x' }))).toEqual(['whitelisted_domains[0]', 'account_linking_url']);
    expect(fields(set({ commands: [{ locale: 'default', commands: [{ name: '', description: '' }] }] }))).toEqual(['commands[0].commands[0].name', 'commands[0].commands[0].description']);
  });

  it('fields: known names, each once; at least one to delete', () => {
    expect(fields(validateGetMessengerProfile(GetMessengerProfileRequest.fromPartial({ pageId: '1001', fields: ['greeting', 'greeting', 'home_url'] }), configured))).toEqual(['fields[1]', 'fields[2]']);
    expect(fields(validateDeleteMessengerProfile(DeleteMessengerProfileRequest.fromPartial({ pageId: '1001' }), configured))).toEqual(['fields']);
  });
});

describe('utility templates', () => {
  it('a lower-case name, a language, UTILITY, exactly one of components and library_template_name', () => {
    expect(validateCreateMessageTemplate(CreateMessageTemplateRequest.fromPartial({ pageId: '1001', name: 'order_1', language: 'en_US', libraryTemplateName: 'lib' }), configured)).toEqual([]);
    expect(fields(validateCreateMessageTemplate(CreateMessageTemplateRequest.fromPartial({ pageId: '1001', name: 'Order 1', language: 'en_US', components: [{ type: 'BODY' }], libraryTemplateName: 'lib' }), configured))).toEqual(['name', 'components']);
    expect(fields(validateCreateMessageTemplate(CreateMessageTemplateRequest.fromPartial({ pageId: '1001', name: 'x', language: 'en_US', components: [{ type: 'BODY' }], libraryTemplateButtonInputs: [{}] }), configured))).toEqual(['library_template_button_inputs']);
  });
});

describe('the Messenger Profile: texts Meta gives no number for', () => {
  // An outside attack sent 1 MB questions, command names and locales and 100,000 disabled
  // surfaces: each went to Graph, and the profile could no longer be read back (1 MiB bound).
  it('ice-breaker questions, command names and descriptions at most 1,000 characters; locales as Meta writes them; at most 10 disabled surfaces', () => {
    const ok = 'x'.repeat(1000);
    expect(set({ iceBreakers: [{ locale: 'default', callToActions: [{ question: ok, payload: 'Q' }] }], commands: [{ locale: 'default', commands: [{ name: ok, description: ok }] }] })).toEqual([]);
    expect(fields(set({
      iceBreakers: [{ locale: 'default', callToActions: [{ question: 'x'.repeat(1001), payload: 'Q' }] }],
      commands: [{ locale: 'default', commands: [{ name: 'x'.repeat(1001), description: 'x'.repeat(1001) }] }],
    }))).toEqual(['ice_breakers[0].call_to_actions[0].question', 'commands[0].commands[0].name', 'commands[0].commands[0].description']);
    expect(fields(set({ greeting: [{ locale: 'default', text: 'hi' }, { locale: 'x'.repeat(1000), text: 'hi' }, { locale: 'en_US', text: 'hi' }] }))).toEqual(['greeting[1].locale']);
    expect(fields(set({
      getStarted: { payload: 'G' },
      persistentMenu: [{ locale: 'default', callToActions: [menuItem(1)], disabledSurfaces: Array.from({ length: 11 }, () => 'CUSTOMER_CHAT_PLUGIN') }],
    }))).toEqual(['persistent_menu[0].disabled_surfaces']);
    expect(set({ getStarted: { payload: 'G' }, persistentMenu: [{ locale: 'default', callToActions: [menuItem(1)], disabledSurfaces: ['CUSTOMER_CHAT_PLUGIN'] }] })).toEqual([]);
  });
});
