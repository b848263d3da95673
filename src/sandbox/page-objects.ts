// What the fake Graph keeps per Page beside sends: personas, the Messenger Profile and utility
// templates, in memory, as the Page's admin would see them. The inbox reads it (the greeting,
// Get Started, ice breakers and menu of a new conversation; a persona's name and picture).

import { fakeAttachmentId } from './success-bodies';

export interface SandboxPersona {
  id: string;
  pageId: string;
  name: string;
  profile_picture_url: string;
}

export interface SandboxTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
  library_template_name?: string;
}

/** Bounds that keep a long-running sandbox small. */
export const MAX_PERSONAS = 10_000;
export const MAX_TEMPLATES_PER_PAGE = 1_000;

export class PageObjects {
  private readonly personas = new Map<string, SandboxPersona>();
  private readonly profiles = new Map<string, Record<string, unknown>>();
  private readonly templates = new Map<string, Map<string, SandboxTemplate>>();
  private readonly listeners = new Set<(pageId: string) => void>();

  /** Called with the Page after every change of its personas or profile. */
  subscribe(listener: (pageId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  addPersona(pageId: string, name: string, pictureUrl: string): SandboxPersona | undefined {
    if (this.personas.size >= MAX_PERSONAS) return undefined;
    const persona = { id: fakeAttachmentId(), pageId, name, profile_picture_url: pictureUrl };
    this.personas.set(persona.id, persona);
    this.changed(pageId);
    return persona;
  }

  persona(id: string): SandboxPersona | undefined {
    return this.personas.get(id);
  }

  personasOf(pageId: string): SandboxPersona[] {
    return [...this.personas.values()].filter((p) => p.pageId === pageId);
  }

  deletePersona(id: string): boolean {
    const p = this.personas.get(id);
    if (!p) return false;
    this.personas.delete(id);
    this.changed(p.pageId);
    return true;
  }

  /** The Page's profile: Graph's JSON of each property set. */
  profile(pageId: string): Readonly<Record<string, unknown>> {
    return this.profiles.get(pageId) ?? {};
  }

  setProfile(pageId: string, properties: Record<string, unknown>): void {
    this.profiles.set(pageId, { ...this.profile(pageId), ...structuredClone(properties) });
    this.changed(pageId);
  }

  deleteProfile(pageId: string, fields: readonly string[]): void {
    const next = { ...this.profile(pageId) };
    for (const f of fields) delete next[f];
    this.profiles.set(pageId, next);
    this.changed(pageId);
  }

  templatesOf(pageId: string): SandboxTemplate[] {
    return [...(this.templates.get(pageId)?.values() ?? [])];
  }

  /** Adds a template, approved at once (Meta approves utility templates within seconds); undefined when the name is taken or the Page is full. */
  addTemplate(pageId: string, t: Omit<SandboxTemplate, 'id' | 'status'>): SandboxTemplate | undefined {
    let page = this.templates.get(pageId);
    if (!page) this.templates.set(pageId, (page = new Map()));
    if (page.has(t.name) || page.size >= MAX_TEMPLATES_PER_PAGE) return undefined;
    const template = { ...t, id: fakeAttachmentId(), status: 'APPROVED' };
    page.set(t.name, template);
    return template;
  }

  deleteTemplate(pageId: string, name: string): boolean {
    return this.templates.get(pageId)?.delete(name) ?? false;
  }

  private changed(pageId: string): void {
    for (const l of this.listeners) {
      try {
        l(pageId);
      } catch {
        // A listener's fault is the listener's.
      }
    }
  }
}
