// The chaos switchboard of one Page: the next N sends fail with a chosen Graph error, or latency.
import { useState } from 'preact/hooks';
import type { InboxChaos } from '../inbox-types';
import { clearChaos, setChaos, type ChaosPreset } from './api';

export function describeChaos(c: InboxChaos | undefined): string {
  if (!c) return 'Off: sends are answered normally.';
  const parts: string[] = [];
  if (c.failNext) parts.push(`the next ${c.failNext.count} send${c.failNext.count === 1 ? '' : 's'} fail with Graph error ${c.failNext.code}${c.failNext.subcode ? `/${c.failNext.subcode}` : ''}`);
  if (c.latencyMs) parts.push(`every answer waits ${c.latencyMs} ms`);
  return `On: ${parts.join('; ')}.`;
}

export function ChaosPanel({ pageId, chaos, presets, onError }: { pageId: string; chaos: InboxChaos | undefined; presets: ChaosPreset[]; onError: (e: string) => void }) {
  const [preset, setPreset] = useState('0');
  const [count, setCount] = useState('1');
  const [latency, setLatency] = useState('0');
  const apply = async (e: Event) => {
    e.preventDefault();
    const p = presets[Number(preset)];
    const value: InboxChaos = {};
    if (p) value.failNext = { count: Math.max(1, Number(count) || 1), code: p.code, ...(p.subcode ? { subcode: p.subcode } : {}) };
    const ms = Number(latency) || 0;
    if (ms > 0) value.latencyMs = ms;
    try {
      await setChaos(pageId, value);
    } catch (err) {
      onError((err as Error).message);
    }
  };
  const off = async () => {
    try {
      await clearChaos(pageId);
    } catch (err) {
      onError((err as Error).message);
    }
  };
  const id = `chaos-${pageId}`;
  return (
    <details class="chaos">
      <summary>{`Chaos for page ${pageId}`}</summary>
      <form aria-label={`Chaos switchboard for page ${pageId}`} onSubmit={apply}>
        <label for={`${id}-error`}>Graph error</label>
        <select id={`${id}-error`} value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}>
          {presets.map((p, i) => (
            <option key={i} value={String(i)}>{p.label}</option>
          ))}
          <option value="none">none (latency only)</option>
        </select>
        <label for={`${id}-count`}>for the next sends</label>
        <input id={`${id}-count`} type="number" min="1" max="1000" value={count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} />
        <label for={`${id}-latency`}>Latency (ms)</label>
        <input id={`${id}-latency`} type="number" min="0" max="60000" step="100" value={latency} onInput={(e) => setLatency((e.target as HTMLInputElement).value)} />
        <div class="chaos-actions">
          <button type="submit">Arm</button>
          <button type="button" onClick={off}>Turn off</button>
        </div>
      </form>
      <p class="chaos-state" role="status">{describeChaos(chaos)}</p>
    </details>
  );
}
