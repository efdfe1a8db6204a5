import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { SETTING_NAMES } from '../packages/server/src/config';
import { STOP_DEADLINE_MS } from '../packages/server/src/http/shutdown';

/*
 * The production files in deploy/, checked offline: no container engine or cluster runs where
 * the tests run (docs/deploy.md says what was and was not run). The Kubernetes manifests are
 * built with `kubectl kustomize` and every object validated against its API schema
 * (kubernetes-models); compose.yaml, the Caddyfile and the Dockerfile are checked for the shape
 * the docs promise; every setting they name is one the server reads (config.ts).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(here, file), 'utf8');
const settings = new Set(SETTING_NAMES);
/** The longest the server's own graceful stop takes, in seconds. */
const SERVER_STOP_SECONDS = STOP_DEADLINE_MS / 1000;

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

/** kind → the kubernetes-models class that validates it (apiVersion checked too). */
const MODELS: Record<string, { apiVersion: string; model: new (data: never) => { validate(): void } }> = {
  Namespace: { apiVersion: 'v1', model: Namespace },
  ConfigMap: { apiVersion: 'v1', model: ConfigMap },
  Secret: { apiVersion: 'v1', model: Secret },
  Service: { apiVersion: 'v1', model: Service },
  Deployment: { apiVersion: 'apps/v1', model: Deployment },
  Ingress: { apiVersion: 'networking.k8s.io/v1', model: Ingress },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', model: HorizontalPodAutoscaler },
  PodDisruptionBudget: { apiVersion: 'policy/v1', model: PodDisruptionBudget },
};

/**
 * The objects `kubectl kustomize deploy/k8s` builds. Without kubectl (it is a Debian package,
 * kubernetes-client, that .ci/run installs), the resources the kustomization lists are read
 * as they are, so their schemas are still checked; only the build itself is skipped.
 */
function buildManifests(): { objects: K8sObject[]; built: boolean } {
  const kubectl = spawnSync('kubectl', ['kustomize', path.join(here, 'k8s')], { encoding: 'utf8' });
  if (kubectl.error && (kubectl.error as NodeJS.ErrnoException).code === 'ENOENT') {
    console.warn('⚠ kubectl is not installed: `kubectl kustomize deploy/k8s` is not run; the listed resources are validated as they are.');
    const kustomization = parse(read('k8s/kustomization.yaml')) as { resources: string[]; namespace: string };
    const objects = kustomization.resources.flatMap((file) => parseAllDocuments(read(`k8s/${file}`)).map((d) => d.toJS() as K8sObject));
    for (const object of objects) if (object.kind !== 'Namespace') object.metadata.namespace = kustomization.namespace;
    return { objects, built: false };
  }
  if (kubectl.status !== 0) throw new Error(`kubectl kustomize deploy/k8s failed:\n${kubectl.stderr}`);
  return { objects: parseAllDocuments(kubectl.stdout).map((d) => d.toJS() as K8sObject), built: true };
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  const { objects } = buildManifests();
  const one = <T>(kind: string) => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0] as unknown as T;
  };

  it('build with kustomize into valid objects of every kind a deployment needs, in one namespace', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Namespace', 'PodDisruptionBudget', 'Secret', 'Service']);
    for (const object of objects) {
      const known = MODELS[object.kind];
      expect(known, `no schema for ${object.kind}`).toBeDefined();
      expect(object.apiVersion, object.kind).toBe(known!.apiVersion);
      // Throws with the path of whatever breaks the schema (a string port, a misspelt field…).
      expect(() => new known!.model(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, object.kind).toBe('parley');
    }
  });

  it('has a schema check that catches a broken object', () => {
    const broken = structuredClone(one<K8sObject>('Deployment')) as unknown as Deployment;
    broken.spec!.template.spec!.containers[0]!.ports![0]!.containerPort = '8080' as never;
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
  });

  it('runs the image non-root, probes /readyz and /healthz, and stops gracefully', () => {
    const deployment = one<Deployment>('Deployment');
    const pod = deployment.spec!.template.spec!;
    const [container] = pod.containers;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container!.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container!.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container!.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container!.resources?.requests).toBeDefined();
    expect(container!.resources?.limits?.memory).toBeDefined();
    // The grace period covers preStop's sleep and then the server's own stop deadline.
    const preStop = container!.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + SERVER_STOP_SECONDS);
    expect(deployment.spec!.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    // Scraped on METRICS_PORT, which the ConfigMap sets to the port the pod exposes and announces.
    const config = one<ConfigMap>('ConfigMap');
    expect(config.data?.METRICS_PORT).toBe('9464');
    expect(container!.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(9464);
    expect(deployment.spec!.template.metadata?.annotations?.['prometheus.io/port']).toBe('9464');
  });

  it('selects the Deployment’s pods from the Service, PodDisruptionBudget and autoscaler, and keeps WebSockets open at the ingress', () => {
    const deployment = one<Deployment>('Deployment');
    const podLabels = deployment.spec!.template.metadata!.labels!;
    const matches = (selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => podLabels[k] === v) && Object.keys(selector ?? {}).length > 0;
    expect(matches(deployment.spec!.selector.matchLabels)).toBe(true);
    expect(matches(one<Service>('Service').spec!.selector)).toBe(true);
    expect(matches(one<PodDisruptionBudget>('PodDisruptionBudget').spec!.selector!.matchLabels)).toBe(true);
    const hpa = one<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    const ingress = one<Ingress>('Ingress');
    for (const annotation of ['proxy-read-timeout', 'proxy-send-timeout']) {
      expect(Number(ingress.metadata!.annotations![`nginx.ingress.kubernetes.io/${annotation}`]), annotation).toBeGreaterThanOrEqual(3600);
    }
    expect(ingress.spec!.tls?.length).toBeGreaterThan(0);
    expect(ingress.spec!.rules![0]!.http!.paths[0]!.backend.service!.name).toBe(one<Service>('Service').metadata!.name);
  });

  it('names only settings the server reads, real secrets nowhere', () => {
    const config = one<ConfigMap>('ConfigMap');
    const secret = one<Secret>('Secret');
    const named = [...Object.keys(config.data ?? {}), ...Object.keys(secret.stringData ?? {}), ...Object.keys(secret.data ?? {})];
    for (const container of one<Deployment>('Deployment').spec!.template.spec!.containers) named.push(...(container.env ?? []).map((e) => e.name));
    for (const name of named) expect(settings.has(name), `${name} is not a setting in config.ts`).toBe(true);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'FILES_S3_URL', 'TURN_SECRET', 'JANUS_API_SECRET']) expect(Object.keys(secret.stringData ?? {})).toContain(name);
    for (const value of Object.values(secret.stringData ?? {})) expect(value).toContain('change-me');
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

describe('compose.yaml: the production shape on one host', () => {
  // `<<: *parley-node` merge keys, as Compose reads them.
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const nodes = [services['parley-a']!, services['parley-b']!];

  it('has two Parley nodes, PostgreSQL, Redis, Janus, coturn and a TLS-terminating load balancer', () => {
    expect(Object.keys(services).sort()).toEqual(['caddy', 'coturn', 'janus', 'parley-a', 'parley-b', 'postgres', 'redis']);
    for (const node of nodes) expect(node.build).toMatchObject({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(services.caddy!.ports).toEqual(expect.arrayContaining(['443:443']));
  });

  it('starts each service after what it needs is healthy', () => {
    for (const name of ['parley-a', 'parley-b', 'postgres', 'redis', 'janus']) expect(services[name]!.healthcheck?.test.length, name).toBeGreaterThan(0);
    for (const node of nodes) {
      for (const needed of ['postgres', 'redis', 'janus']) expect(node.depends_on?.[needed]?.condition).toBe('service_healthy');
      expect(node.healthcheck!.test.join(' ')).toContain('/readyz');
      // Longer than the server's own stop deadline, so `docker compose stop` is a graceful stop.
      expect(Number.parseInt(node.stop_grace_period ?? '10', 10)).toBeGreaterThan(SERVER_STOP_SECONDS);
    }
    expect(services['parley-b']!.depends_on?.['parley-a']?.condition).toBe('service_healthy');
    for (const node of ['parley-a', 'parley-b']) expect(services.caddy!.depends_on?.[node]?.condition).toBe('service_healthy');
  });

  it('gives both nodes the same database, Redis, Janus, file storage and secrets, all settings the server reads', () => {
    const [a, b] = nodes.map((n) => n.environment!);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JANUS_URL', 'FILES_S3_URL', 'JANUS_API_SECRET', 'TURN_SECRET', 'PUBLIC_URL']) {
      expect(a![name], name).toBeTruthy();
      expect(b![name], name).toBe(a![name]);
    }
    expect(a!.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    expect(a!.REDIS_URL).toMatch(/@redis:6379$/);
    expect(a!.JANUS_URL).toBe('ws://janus:8188');
    for (const name of Object.keys(a!)) expect(settings.has(name), `${name} is not a setting in config.ts`).toBe(true);
    // Secrets come from deploy/.env, never written here.
    for (const name of ['JANUS_API_SECRET', 'JANUS_ADMIN_KEY', 'TURN_SECRET']) expect(a![name]).toMatch(/^\$\{/);
    expect(services.janus!.environment!.JANUS_API_SECRET).toBe('${JANUS_API_SECRET}');
  });

  it('load-balances both nodes in Caddy with their readiness, and the example env file names every variable compose needs', () => {
    const caddyfile = read('caddy/Caddyfile');
    expect(caddyfile).toMatch(/reverse_proxy parley-a:8080 parley-b:8080/);
    expect(caddyfile).toMatch(/health_uri \/readyz/);
    const needed = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z_]+)(?::[?-][^}]*)?\}/g)].map((m) => m[1]!));
    const example = new Set([...read('env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!));
    for (const name of needed) if (name !== 'PARLEY_VERSION') expect(example.has(name), `${name} missing from env.example`).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds in one stage and runs the result in a slim one, as a non-root user with a healthcheck', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm ci/);
    expect(stages[0]).toMatch(/RUN npm run build/);
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/-slim AS runtime/);
    expect(runtime).toMatch(/--omit=dev|COPY --from=production-dependencies/);
    expect(runtime).toMatch(/COPY --from=build \/src\/packages\/server\/dist /);
    expect(runtime).toMatch(/COPY --from=build \/src\/packages\/web\/dist /);
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).toMatch(/^[1-9]\d*$/);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(runtime).toMatch(/^CMD \["node", "packages\/server\/dist\/main\.js"\]$/m);
    // The production stage installs without dev dependencies.
    expect(stages.find((s) => s.startsWith('node:${NODE_VERSION}-bookworm AS production-dependencies'))).toMatch(/npm ci --omit=dev/);
  });

  it('sets only settings the server reads, and its build context leaves out what it builds itself', () => {
    for (const [, name] of dockerfile.matchAll(/^\s+([A-Z_]+)=\S+/gm)) if (name !== 'NODE_ENV') expect(settings.has(name!), `${name}`).toBe(true);
    const ignored = fs.readFileSync(path.join(here, '..', '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', 'deploy/.env']) expect(ignored).toContain(entry);
  });
});
