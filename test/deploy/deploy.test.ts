import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { measureWarmStart } from '../../bench/lib/warm-start';
import { parseConfig } from '../../src/config/load-config';
import { isLoopback } from '../../src/server/server-credentials';
import { freePort, healthStatus, ROOT } from '../support/gateway-process';
import { withDeadline } from '../support/wait-for';

const K8S = join(ROOT, 'deploy/kubernetes');
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown>; data?: Record<string, string>; stringData?: Record<string, string> };
const docs: Doc[] = readdirSync(K8S).filter((f) => f.endsWith('.yaml')).flatMap((f) => {
  const parsed = parseAllDocuments(readFileSync(join(K8S, f), 'utf8'));
  for (const d of parsed) if (d.errors.length) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
  return parsed.map((d) => d.toJS() as Doc);
});
const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

describe('deploy/', () => {
  it('every manifest is valid YAML with apiVersion, kind and name', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Secret', 'Service']);
    for (const d of docs) {
      expect(d.apiVersion).toMatch(/^(v1|apps\/v1|autoscaling\/v2|networking\.k8s\.io\/v1)$/);
      expect(d.metadata.name).toBe('messenger-gateway');
    }
  });

  it('the Deployment probes the gRPC health service, runs as non-root, and outlives the drain', () => {
    const spec = byKind('Deployment').spec as { template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } } };
    const pod = spec.template.spec;
    const c = pod.containers[0] as { readinessProbe: { grpc: { port: number; service: string } }; livenessProbe: { grpc: { port: number } }; ports: Array<{ containerPort: number }> };
    expect(c.readinessProbe.grpc).toEqual({ port: 50051, service: 'messenger.v1.MessengerService' });
    expect(c.livenessProbe.grpc.port).toBe(50051);
    expect(c.ports[0].containerPort).toBe(50051);
    expect((pod.securityContext as { runAsNonRoot: boolean }).runAsNonRoot).toBe(true);
    const config = JSON.parse(byKind('ConfigMap').data!['gateway.json']) as { shutdownDelayMs: number; shutdownGraceMs: number };
    expect(config.shutdownDelayMs).toBeGreaterThan(0);
    expect(Number(pod.terminationGracePeriodSeconds) * 1000).toBeGreaterThan(config.shutdownDelayMs + config.shutdownGraceMs);
  });

  it("the webhook: the container's port, the Service's, and the Ingress routing the config's path to it over TLS", () => {
    const config = parseConfig(JSON.parse(byKind('ConfigMap').data!['gateway.json']), byKind('Secret').stringData!);
    expect(config.webhook).toBeDefined();
    const port = Number(config.webhook!.listen.split(':').pop());
    const pod = (byKind('Deployment').spec as { template: { spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } }).template.spec;
    expect(pod.containers[0].ports.find((p) => p.name === 'webhook')?.containerPort).toBe(port);
    const svc = byKind('Service').spec as { ports: Array<{ name: string; port: number; targetPort: string }> };
    const svcPort = svc.ports.find((p) => p.name === 'webhook');
    expect(svcPort?.targetPort).toBe('webhook');
    const ing = byKind('Ingress').spec as {
      tls: Array<{ hosts: string[]; secretName: string }>;
      rules: Array<{ host: string; http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }> } }>;
    };
    expect(ing.tls[0].hosts).toContain(ing.rules[0].host);
    const paths = ing.rules.flatMap((r) => r.http.paths);
    // Only the webhook is exposed to the internet, never the gRPC port.
    expect(paths.map((p) => [p.path, p.backend.service.name, p.backend.service.port.name ?? p.backend.service.port.number])).toEqual([[config.webhook!.path, 'messenger-gateway', 'webhook']]);
    expect(svc.ports.map((p) => p.name)).toContain('grpc');
  });

  it('states Redis persistence (AOF) as the condition for durable receiving', () => {
    const text = ['configmap.yaml', 'secret.yaml'].map((f) => readFileSync(join(K8S, f), 'utf8')).join('\n');
    expect(text).toMatch(/appendonly yes/);
    expect(readFileSync(join(ROOT, 'docs/replicas.md'), 'utf8')).toMatch(/appendonly yes/);
  });

  it("the ConfigMap's gateway.json is a valid config once the Secret's variables are set", () => {
    const env = byKind('Secret').stringData!;
    const config = parseConfig(JSON.parse(byKind('ConfigMap').data!['gateway.json']), env);
    expect(config.store.redis?.url).toMatch(/^redis:\/\//);
    expect(config.pages[0].accessToken).toBe(env.PAGE_1001_TOKEN);
    // The pod listens beyond loopback: the secure defaults demand caller authentication.
    expect(isLoopback(config.listen)).toBe(false);
    expect(config.callers.length).toBeGreaterThan(0);
    expect(config.insecure).toBe(false);
  });

  it('the Docker image layout starts: built dist/ with the preload, and gen/messenger.binpb', async () => {
    // The image's build steps: tsc, then the inbox's bundle (deploy/Dockerfile runs both).
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-inbox.js')], { cwd: ROOT, stdio: 'pipe' });
    const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN node scripts\/build-inbox\.js/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const entry = /ENTRYPOINT \[(.*)\]/.exec(dockerfile)![1].split(',').map((s) => JSON.parse(s.trim()) as string);
    for (const file of entry.filter((a) => a.endsWith('.js'))) expect(existsSync(join(ROOT, file))).toBe(true);
    const port = await freePort();
    const child = spawn(entry[0], [...entry.slice(1), 'serve', '--listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: 'pipe' });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('gateway ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}${out}`)));
      });
      expect(await healthStatus(`127.0.0.1:${port}`)).toBe('SERVING');
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);

  // After the test above, which built dist/.
  it("package.json's dependencies are exactly the packages dist/ requires (the image installs only those)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
      );
    const required = new Set<string>();
    for (const file of [...files(join(ROOT, 'dist/src')), ...files(join(ROOT, 'dist/gen'))]) {
      if (file.includes('/dist/src/codegen/')) continue;
      // Static imports compile to require("x"); the OTLP exporters are require('x')d when chosen.
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\((?:"|')([^"'.][^"']*)(?:"|')\)/g)) {
        if (spec.startsWith('node:')) continue;
        required.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect([...required].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });

  // Here, not in its own file: it rebuilds dist/ too, which must not race the test above.
  it('`npm start` builds dist/ and runs it; SIGTERM to npm reaches the gateway, which drains and exits 0', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start', '--', '--listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => out.includes('gateway ready') && resolve());
        void exited.then((code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      });
      expect(await healthStatus(`127.0.0.1:${port}`)).toBe('SERVING');
      // npm forwards the signal to its child: the script execs node, so that child is the gateway
      // (with `sh -c node ...` the shell got it, and the gateway kept running).
      child.kill('SIGTERM');
      expect(await withDeadline(exited, 15_000, 'npm start to exit after SIGTERM')).toBe(0);
      expect(out).toContain('"msg":"stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  // After the test above, dist/ is fresh: prestart must not run tsc again (it took ~6-10 s). The
  // benchmark's measurement (bench/lib/warm-start.ts) runs here, where nothing else rebuilds dist/.
  it('a warm `npm start` skips the build: "gateway ready" within 2 s (best of 3), dist/ untouched', async () => {
    const built = statSync(join(ROOT, 'dist/src/cli/main.js')).mtimeMs;
    const { readyMs } = await measureWarmStart(3);
    expect(statSync(join(ROOT, 'dist/src/cli/main.js')).mtimeMs).toBe(built);
    expect(Math.min(...readyMs)).toBeLessThan(2_000);
  }, 90_000);
});
