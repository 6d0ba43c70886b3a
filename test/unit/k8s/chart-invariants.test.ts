/**
 * Invariants of the Helm chart k8s/signal-factory, checked on the manifests that scripts/verify-k8s
 * renders into .cache/k8s-rendered/ (default, production, canary, production-hpa). Run
 * scripts/verify-k8s first; a missing rendering is a failure, never a skip.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form objects
type Obj = any;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'k8s'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above the test file');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const RENDERED = join(ROOT, '.cache', 'k8s-rendered');
const SETS = ['default', 'production', 'canary', 'production-hpa'] as const;
/** Sets deploying the stable release (both components). */
const STABLE_SETS = ['default', 'production', 'production-hpa'] as const;

function load(set: string): Obj[] {
  const file = join(RENDERED, `${set}.yaml`);
  assert.ok(
    existsSync(file),
    `${file} is missing: run scripts/verify-k8s first (it renders the chart for every value set)`,
  );
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o && typeof o === 'object');
}

const find = (objs: Obj[], kind: string, component?: string): Obj[] =>
  objs.filter(
    (o) => o.kind === kind && (!component || o.metadata?.labels?.['app.kubernetes.io/component'] === component),
  );
const one = (objs: Obj[], kind: string, component: string): Obj => {
  const found = find(objs, kind, component);
  assert.equal(found.length, 1, `expected exactly one ${kind} for ${component}, found ${found.length}`);
  return found[0];
};
const configOf = (objs: Obj[], component: string): Record<string, string> => one(objs, 'ConfigMap', component).data;

/** Every .ts file under a source directory, concatenated. */
function sourceText(rel: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(ROOT, rel));
  return out.join('\n');
}

/** The default port the app uses for an env var, read from its config source. */
function appDefaultPort(rel: string, envVar: string): number {
  const m = new RegExp(`['"]${envVar}['"]\\s*,\\s*([0-9_]+)`).exec(sourceText(rel));
  assert.ok(m, `no default for ${envVar} found in ${rel}`);
  return Number(m[1].replaceAll('_', ''));
}

const APP = {
  enforcer: { src: 'src/main', portVar: 'SF_ENFORCER_HTTP_PORT', container: 'enforcer' },
  'control-plane': { src: 'src/control-plane', portVar: 'SF_HTTP_PORT', container: 'control-plane' },
} as const;
// INTERFACE.md fixes these ports; the chart and the app must agree with it.
const INTERFACE_PORTS = { enforcer: 9464, 'control-plane': 8080 } as const;

describe('probes target what the app serves', () => {
  for (const component of ['enforcer', 'control-plane'] as const) {
    test(`${component}: the app serves /healthz and /readyz and listens on ${INTERFACE_PORTS[component]} by default`, () => {
      const src = sourceText(APP[component].src);
      assert.match(src, /['"]\/healthz['"]/, `${APP[component].src} serves no /healthz`);
      assert.match(src, /['"]\/readyz['"]/, `${APP[component].src} serves no /readyz`);
      assert.equal(appDefaultPort(APP[component].src, APP[component].portVar), INTERFACE_PORTS[component]);
    });
  }

  for (const set of SETS) {
    const objs = load(set);
    for (const component of ['enforcer', 'control-plane'] as const) {
      if (find(objs, 'Deployment', component).length === 0) continue; // canary: no control plane (asserted below)
      test(`[${set}] ${component}: liveness /healthz, readiness /readyz on port ${INTERFACE_PORTS[component]}`, () => {
        const dep = one(objs, 'Deployment', component);
        const c = dep.spec.template.spec.containers.find((x: Obj) => x.name === APP[component].container);
        assert.ok(c, `container ${APP[component].container} missing`);
        const port = (ref: number | string): number =>
          typeof ref === 'number' ? ref : c.ports.find((p: Obj) => p.name === ref)?.containerPort;
        for (const [probe, path] of [
          ['livenessProbe', '/healthz'],
          ['readinessProbe', '/readyz'],
        ] as const) {
          assert.equal(c[probe]?.httpGet?.path, path, `${probe} path`);
          assert.equal(port(c[probe].httpGet.port), INTERFACE_PORTS[component], `${probe} port`);
        }
        // The app listens where its env says: the env must name the probed port.
        assert.equal(configOf(objs, component)[APP[component].portVar], String(INTERFACE_PORTS[component]));
        assert.deepEqual(c.args, [component], 'the container runs `signal-factory <component>`');
      });
    }
  }
});

describe('canary (design 8.3)', () => {
  const stable = configOf(load('production'), 'enforcer');
  const canaryObjs = load('canary');
  const canary = configOf(canaryObjs, 'enforcer');

  test('the canary consumes in its own consumer group, on its own topics', () => {
    assert.ok(canary.SF_ENFORCER_GROUP_ID, 'canary group id');
    assert.notEqual(canary.SF_ENFORCER_GROUP_ID, stable.SF_ENFORCER_GROUP_ID);
    assert.notEqual(canary.SF_ENFORCER_TOPICS, stable.SF_ENFORCER_TOPICS, 'the canary starts on a small topic');
    assert.notEqual(canary.SF_EVIDENCE_TOPIC, stable.SF_EVIDENCE_TOPIC, 'shadow evidence: no double counting');
  });

  test('the canary release deploys no control plane and points at the stable one', () => {
    assert.equal(find(canaryObjs, 'Deployment', 'control-plane').length, 0);
    assert.match(canary.SF_CONTROL_PLANE_URL, /^http:\/\/signal-factory-control-plane\./);
  });

  test('the rollback analysis covers the three 8.3 indicators and selects canary vs stable', () => {
    const [tpl] = find(canaryObjs, 'AnalysisTemplate');
    assert.ok(tpl, 'AnalysisTemplate rendered for the canary');
    const queries = tpl.spec.metrics.map((m: Obj) => m.provider.prometheus.query as string).join('\n');
    for (const metric of [
      'enforcer_evidence_emit_errors_total',
      'enforcer_eval_latency_ms_bucket',
      'enforcer_consumer_lag',
    ]) {
      assert.ok(queries.includes(metric), `no rollback rule on ${metric}`);
    }
    assert.ok(queries.includes(`"${canary.SF_ENFORCER_GROUP_ID}"`), 'queries select the canary group');
    assert.ok(queries.includes(`"${stable.SF_ENFORCER_GROUP_ID}"`), 'latency is compared with the stable group');
    for (const m of tpl.spec.metrics) {
      assert.ok(m.failureCondition && m.successCondition, `${m.name}: needs both conditions`);
    }
  });
});

describe('availability and scaling', () => {
  for (const set of SETS) {
    const objs = load(set);
    test(`[${set}] every Deployment has a PDB with minAvailable 1 that still allows a drain`, () => {
      const deps = find(objs, 'Deployment');
      assert.ok(deps.length > 0);
      for (const dep of deps) {
        const component = dep.metadata.labels['app.kubernetes.io/component'];
        const pdb = one(objs, 'PodDisruptionBudget', component);
        assert.equal(pdb.spec.minAvailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, dep.spec.selector.matchLabels);
        const scaler = find(objs, 'ScaledObject', component)[0] ?? find(objs, 'HorizontalPodAutoscaler', component)[0];
        const minReplicas = scaler ? (scaler.spec.minReplicaCount ?? scaler.spec.minReplicas) : dep.spec.replicas;
        assert.ok(minReplicas > pdb.spec.minAvailable, `${component}: ${minReplicas} replica(s) vs minAvailable 1`);
      }
    });

    test(`[${set}] enforcer replicas never exceed the partition count`, () => {
      const dep = one(objs, 'Deployment', 'enforcer');
      const partitions = partitionsOf(set);
      const so = find(objs, 'ScaledObject', 'enforcer')[0];
      const hpa = find(objs, 'HorizontalPodAutoscaler', 'enforcer')[0];
      const max = so?.spec.maxReplicaCount ?? hpa?.spec.maxReplicas ?? dep.spec.replicas;
      assert.ok(Number.isInteger(max) && max >= 1);
      assert.ok(max <= partitions, `max replicas ${max} > partitions ${partitions}`);
      if (so) {
        const kafka = so.spec.triggers.filter((t: Obj) => t.type === 'kafka');
        assert.ok(kafka.length >= 1, 'kafka trigger (primary)');
        assert.ok(
          so.spec.triggers.some((t: Obj) => t.type === 'cpu'),
          'cpu trigger (secondary)',
        );
        const cfg = configOf(objs, 'enforcer');
        for (const t of kafka) {
          assert.equal(t.metadata.consumerGroup, cfg.SF_ENFORCER_GROUP_ID, 'KEDA watches the group the pods use');
          assert.equal(t.metadata.offsetResetPolicy, cfg.SF_ENFORCER_OFFSET_RESET);
          assert.equal(t.metadata.allowIdleConsumers, 'false');
          assert.ok(cfg.SF_ENFORCER_TOPICS.split(',').includes(t.metadata.topic), `${t.metadata.topic} is consumed`);
        }
      }
      if (hpa) {
        const ext = hpa.spec.metrics.find((m: Obj) => m.type === 'External');
        assert.equal(ext?.external.metric.name, 'enforcer_consumer_lag');
        assert.ok(hpa.spec.metrics.some((m: Obj) => m.type === 'Resource' && m.resource.name === 'cpu'));
      }
    });

    test(`[${set}] enforcer pods are static group members named after the pod`, () => {
      const dep = one(objs, 'Deployment', 'enforcer');
      const env = dep.spec.template.spec.containers[0].env ?? [];
      const id = env.find((e: Obj) => e.name === 'SF_ENFORCER_INSTANCE_ID');
      assert.equal(id?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'group.instance.id = pod name');
    });

    test(`[${set}] termination grace covers preStop + SF_SHUTDOWN_DEADLINE_MS`, () => {
      for (const dep of find(objs, 'Deployment')) {
        const spec = dep.spec.template.spec;
        const component = dep.metadata.labels['app.kubernetes.io/component'];
        const deadlineS = Number(configOf(objs, component).SF_SHUTDOWN_DEADLINE_MS) / 1000;
        const preStop = spec.containers[0].lifecycle?.preStop?.exec?.command;
        assert.equal(preStop?.[0], '/bin/sleep', 'preStop sleep');
        assert.ok(spec.terminationGracePeriodSeconds > deadlineS + Number(preStop[1]));
      }
    });
  }

  test('the stable control plane runs 2-3 replicas', () => {
    for (const set of STABLE_SETS) {
      const objs = load(set);
      const dep = one(objs, 'Deployment', 'control-plane');
      const hpa = find(objs, 'HorizontalPodAutoscaler', 'control-plane')[0];
      const [min, max] = hpa ? [hpa.spec.minReplicas, hpa.spec.maxReplicas] : [dep.spec.replicas, dep.spec.replicas];
      assert.ok(min >= 2 && max <= 3, `[${set}] ${min}..${max}`);
    }
  });
});

/** enforcer.partitions of a value set (the canary layers values-canary.yaml over production). */
function partitionsOf(set: string): number {
  const files =
    set === 'default'
      ? ['values.yaml']
      : set === 'canary'
        ? ['values.yaml', 'values-production.yaml', 'values-canary.yaml']
        : ['values.yaml', 'values-production.yaml'];
  let partitions = Number.NaN;
  for (const f of files) {
    const m = /^enforcer:\n(?:[ #].*\n|\n)*?\s{2}partitions:\s*(\d+)/m.exec(
      readFileSync(join(ROOT, 'k8s/signal-factory', f), 'utf8'),
    );
    if (m) partitions = Number(m[1]);
  }
  assert.ok(Number.isInteger(partitions), `enforcer.partitions not found for ${set}`);
  return partitions;
}

describe('network policy', () => {
  for (const set of SETS) {
    const objs = load(set);
    test(`[${set}] every pod is selected by a NetworkPolicy restricting egress`, () => {
      for (const dep of find(objs, 'Deployment')) {
        const component = dep.metadata.labels['app.kubernetes.io/component'];
        const np = one(objs, 'NetworkPolicy', component);
        assert.deepEqual(np.spec.podSelector.matchLabels, dep.spec.selector.matchLabels);
        assert.ok(np.spec.policyTypes.includes('Egress') && np.spec.policyTypes.includes('Ingress'));
        const egress: Obj[] = np.spec.egress;
        assert.ok(egress.length > 0, 'egress rules');
        for (const rule of [...egress, ...(np.spec.ingress ?? [])]) {
          const peers = rule.to ?? rule.from;
          assert.ok(Array.isArray(peers) && peers.length > 0, 'a rule without peers allows every address');
          assert.ok(Array.isArray(rule.ports) && rule.ports.length > 0, 'a rule without ports allows every port');
          for (const p of peers) {
            assert.ok(Object.keys(p).length > 0, 'an empty peer matches everything');
            if (p.ipBlock) assert.ok(!['0.0.0.0/0', '::/0'].includes(p.ipBlock.cidr), `open ipBlock ${p.ipBlock.cidr}`);
            if (p.namespaceSelector)
              assert.ok(Object.keys(p.namespaceSelector).length > 0, 'namespaceSelector {} = all');
          }
        }
        const ports = new Set(egress.flatMap((r) => r.ports.map((p: Obj) => `${p.protocol}/${p.port}`)));
        assert.ok(ports.has('UDP/53'), 'DNS');
        assert.ok(ports.has('TCP/443'), 'AWS endpoints');
        const brokerPorts = configOf(objs, component)
          .SF_KAFKA_BROKERS.split(',')
          .map((b) => `TCP/${b.split(':').pop()}`);
        for (const p of brokerPorts) assert.ok(ports.has(p), `broker port ${p}`);
        if (component === 'enforcer') assert.ok(ports.has('TCP/8080'), 'the control plane');
        if (configOf(objs, component).OTEL_EXPORTER_OTLP_ENDPOINT) {
          const otlpPort = new URL(configOf(objs, component).OTEL_EXPORTER_OTLP_ENDPOINT).port;
          assert.ok(ports.has(`TCP/${otlpPort}`), 'OTLP telemetry');
        }
      }
    });
  }
});

describe('pod security', () => {
  for (const set of SETS) {
    const objs = load(set);
    test(`[${set}] hardened security context, read-only root with an emptyDir /tmp, IRSA-ready SA`, () => {
      for (const dep of find(objs, 'Deployment')) {
        const spec = dep.spec.template.spec;
        assert.equal(spec.securityContext.runAsNonRoot, true);
        assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.ok(spec.securityContext.runAsUser >= 10000);
        assert.equal(spec.automountServiceAccountToken, false);
        for (const c of spec.containers) {
          const sc = c.securityContext;
          assert.equal(sc.runAsNonRoot, true);
          assert.equal(sc.allowPrivilegeEscalation, false);
          assert.equal(sc.readOnlyRootFilesystem, true);
          assert.equal(sc.privileged, false);
          assert.deepEqual(sc.capabilities.drop, ['ALL']);
          assert.equal(sc.capabilities.add, undefined);
          assert.equal(sc.seccompProfile.type, 'RuntimeDefault');
          assert.ok(c.resources.requests.cpu && c.resources.requests.memory, 'requests');
          assert.ok(c.resources.limits.cpu && c.resources.limits.memory, 'limits');
          const tmp = c.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
          assert.ok(tmp, '/tmp mounted');
          assert.ok(spec.volumes.find((v: Obj) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
          for (const e of c.env ?? []) {
            if (/SECRET|TOKEN|PASSWORD|KEYS/.test(e.name))
              assert.ok(e.valueFrom?.secretKeyRef, `${e.name} from a Secret`);
          }
        }
        const sa = find(objs, 'ServiceAccount').find((s) => s.metadata.name === spec.serviceAccountName);
        assert.ok(sa, `ServiceAccount ${spec.serviceAccountName} rendered`);
        if (set !== 'default') {
          assert.match(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '', /^arn:aws:iam::\d{12}:role\//);
        }
      }
      for (const cm of find(objs, 'ConfigMap')) {
        for (const k of Object.keys(cm.data))
          assert.doesNotMatch(k, /SECRET|TOKEN|PASSWORD|KEYS/, `${k} in a ConfigMap`);
      }
    });
  }
});

describe('the evidence archive', () => {
  test('the archive serves /healthz, /readyz and /metrics on the port the chart probes', () => {
    assert.equal(appDefaultPort('src/archive', 'SF_ARCHIVE_HTTP_PORT'), 9466);
    assert.match(sourceText('src/cli'), /startProbeServer\(cfg\.httpPort[\s\S]*archiver\.readiness\(\)/);
  });
  for (const set of SETS) {
    const objs = load(set);
    const dep = find(objs, 'Deployment', 'archive')[0];
    if (set === 'canary') {
      test('[canary] no archive (the stable release archives all evidence)', () => assert.equal(dep, undefined));
      continue;
    }
    test(`[${set}] archive: probes and scrape port match its config, KEDA watches its own group`, () => {
      assert.ok(dep, 'archive Deployment rendered');
      const cfg = configOf(objs, 'archive');
      const c = dep.spec.template.spec.containers[0];
      assert.deepEqual(c.args, ['archive']);
      const port = c.ports.find((p: Obj) => p.name === c.readinessProbe.httpGet.port)?.containerPort;
      assert.equal(String(port), cfg.SF_ARCHIVE_HTTP_PORT);
      assert.equal(c.readinessProbe.httpGet.path, '/readyz');
      assert.equal(c.livenessProbe.httpGet.path, '/healthz');
      assert.equal(dep.spec.template.metadata.annotations['prometheus.io/port'], cfg.SF_ARCHIVE_HTTP_PORT);
      assert.match(cfg.SF_ARCHIVE_URI, /^s3:\/\/[a-z0-9.-]+\//);
      const so = one(objs, 'ScaledObject', 'archive');
      const [trigger] = so.spec.triggers;
      assert.equal(trigger.metadata.consumerGroup, cfg.SF_ARCHIVE_GROUP_ID);
      assert.equal(trigger.metadata.topic, cfg.SF_EVIDENCE_TOPIC);
      assert.ok(
        Number(trigger.metadata.lagThreshold) > Number(cfg.SF_ARCHIVE_BATCH_EVENTS),
        'the lag target is above one uncommitted batch',
      );
      // Its own service account: the S3 archive role is not the enforcer's.
      assert.notEqual(
        dep.spec.template.spec.serviceAccountName,
        one(objs, 'Deployment', 'enforcer').spec.template.spec.serviceAccountName,
      );
    });
  }
});
