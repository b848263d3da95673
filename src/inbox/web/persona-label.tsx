// A persona on a Page's message, as Messenger shows it: the agent's picture and name.
import type { InboxPage } from '../inbox-types';

/** A persona as a message shows it: picture and name when the Page has it, else its id. */
export function PersonaLabel({ personaId, page }: { personaId: string; page: InboxPage | undefined }) {
  const persona = page?.personas.find((p) => p.id === personaId);
  if (!persona) return <span class="label persona">{`Persona ${personaId}`}</span>;
  return (
    <span class="label persona" title={`Persona ${personaId}`}>
      <img class="persona-picture" src={persona.pictureUrl} alt="" width={16} height={16} />
      {persona.name}
    </span>
  );
}
