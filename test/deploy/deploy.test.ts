// The deployment files in deploy/: what can be checked without pulling an image or a cluster.
// Every YAML parses; the manifests, the compose snippet and the Dockerfile agree on the port
// (9469, named http), the probe paths, the config path and the socket mount; the PrometheusRule
// carries exactly the shipped rules; promtool accepts the compose Prometheus config.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, posix, relative } from 'node:path'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
import { parseConfig } from '../../src/config/load.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { ROOT } from '../helpers/child.js'
import { NODE_FLAGS, RUNTIME_ENV_WORDS } from '../../src/runtime.js'

const DEPLOY = join(ROOT, 'deploy')
const K8S = join(DEPLOY, 'kubernetes')
const COMPOSE = join(DEPLOY, 'compose')
const RULES = join(ROOT, 'alerts', 'groundtruth.rules.yml')
const PORT = 9469
const CONFIG_PATH = '/etc/groundtruth/groundtruth.yml'

type Obj = Record<string, any>

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

const yamlFiles = walk(DEPLOY).filter((f) => /\.ya?ml$/.test(f))

function docsOf(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true })
  if (!Array.isArray(docs)) return [] // an empty stream
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
  return docs.map((d) => d.toJS() as Obj).filter((d) => d != null)
}

function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0 || spawnSync(cmd, ['version', '--client'], { encoding: 'utf8' }).status === 0
}

// --- the Dockerfile -----------------------------------------------------------------------

interface Instruction { op: string; args: string; stage: number }

function dockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ')
  const out: Instruction[] = []
  let stage = -1
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(\w+)\s+(.*)$/.exec(line)
    if (!m) continue
    const op = m[1]!.toUpperCase()
    if (op === 'FROM') stage++
    out.push({ op, args: m[2]!.trim(), stage })
  }
  return out
}

const DOCKERFILE = dockerfile(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'))
const lastStage = Math.max(...DOCKERFILE.map((i) => i.stage))
const runtime = DOCKERFILE.filter((i) => i.stage === lastStage)
const only = (op: string) => {
  const found = runtime.filter((i) => i.op === op)
  if (found.length !== 1) throw new Error(`expected one ${op} in the runtime stage, found ${found.length}`)
  return found[0]!.args
}
const execForm = (args: string): string[] => JSON.parse(args) as string[]

t.test('every YAML file under deploy/ parses', async (t) => {
  t.ok(yamlFiles.length >= 8, `found ${yamlFiles.map((f) => relative(ROOT, f)).join(', ')}`)
  for (const f of yamlFiles) t.doesNotThrow(() => docsOf(f), relative(ROOT, f))
})

t.test('Dockerfile: multi-stage, non-root, EXPOSE 9469, HEALTHCHECK on /-/healthy, the bin and the config path', async (t) => {
  const froms = DOCKERFILE.filter((i) => i.op === 'FROM')
  t.ok(froms.length >= 2, 'two FROM: build and runtime')
  for (const f of froms) t.match(f.args, /^node:20-(slim|alpine)\b/, 'a Node 20 base')
  t.ok(DOCKERFILE.some((i) => i.stage < lastStage && /npm ci\b/.test(i.args) && i.op === 'RUN'), 'npm ci in the build stage')
  t.ok(DOCKERFILE.some((i) => i.stage < lastStage && i.op === 'RUN' && /npm run build/.test(i.args)), 'npm run build in the build stage')
  t.ok(runtime.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args)), 'production dependencies only at runtime')
  t.ok(runtime.some((i) => i.op === 'COPY' && /--from=\S+\s+\S*dist\b/.test(i.args)), 'dist copied from the build stage')
  for (const dir of ['config', 'alerts', 'grafana']) {
    t.ok(runtime.some((i) => i.op === 'COPY' && new RegExp(`^${dir}\\s`).test(i.args)), `${dir}/ shipped`)
  }

  const user = only('USER')
  t.notMatch(user, /^(root|0)(:|$)/, `USER ${user} is not root`)
  t.equal(user, 'node')
  t.equal(only('EXPOSE'), String(PORT))

  const hc = only('HEALTHCHECK')
  t.match(hc, /CMD\s+\[/, 'exec form')
  t.match(hc, `http://127.0.0.1:${PORT}/-/healthy`)
  const hcCmd = execForm(hc.slice(hc.indexOf('[')))
  t.equal(hcCmd[0], 'node', 'the slim image has no curl: node asks')

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.same(execForm(only('ENTRYPOINT')), ['node', ...NODE_FLAGS, pkg.bin.groundtruth], 'the package bin, under the runtime flags')
  const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args)
  for (const word of RUNTIME_ENV_WORDS) t.ok(env.includes(word), `ENV ${word}, as every launcher sets`)
  const cmd = execForm(only('CMD'))
  t.same(cmd, ['serve', '--config', CONFIG_PATH])

  // What the build copies exists and is not left out by .dockerignore.
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const i of DOCKERFILE.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = i.args.split(/\s+/).slice(0, -1)
    for (const s of sources) {
      t.ok(existsSync(join(ROOT, s)), `COPY ${s} exists`)
      t.notOk(ignored.includes(s), `COPY ${s} is not in .dockerignore`)
    }
  }
  t.ok(ignored.includes('node_modules') && ignored.includes('.env'), '.dockerignore keeps node_modules and .env out')
})

// --- Kubernetes ---------------------------------------------------------------------------

const kustomization = docsOf(join(K8S, 'kustomization.yaml'))[0]!
const manifests = (kustomization.resources as string[]).flatMap((r) => docsOf(join(K8S, r)))
const ofKind = (kind: string): Obj => {
  const found = manifests.filter((m) => m.kind === kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0]!
}

t.test('kustomization lists every manifest, one of each kind', async (t) => {
  t.equal(kustomization.kind, 'Kustomization')
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()
  t.same([...(kustomization.resources as string[])].sort(), files, 'every manifest file is a resource')
  t.same(manifests.map((m) => m.kind).sort(), ['ConfigMap', 'Deployment', 'PrometheusRule', 'Service', 'ServiceMonitor'])
  for (const m of manifests) {
    t.ok(typeof m.apiVersion === 'string' && m.metadata?.name, `${m.kind} has apiVersion and a name`)
    t.equal(m.metadata?.labels?.['app.kubernetes.io/name'], 'groundtruth', `${m.kind} labelled`)
  }
})

t.test('kubectl kustomize renders the same five objects', { skip: have('kubectl') ? false : 'kubectl is not installed' }, async (t) => {
  const r = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const kinds = parseAllDocuments(r.stdout).map((d) => (d.toJS() as Obj).kind as string).sort()
  t.same(kinds, ['ConfigMap', 'Deployment', 'PrometheusRule', 'Service', 'ServiceMonitor'])
})

t.test('Deployment: port 9469 named http, probes, non-root, read-only root, config from the ConfigMap', async (t) => {
  const dep = ofKind('Deployment')
  const pod = dep.spec.template.spec as Obj
  t.same(dep.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'groundtruth' })
  for (const [k, v] of Object.entries(dep.spec.selector.matchLabels as Obj)) t.equal(dep.spec.template.metadata.labels[k], v, 'the selector matches the pod')
  t.equal(pod.containers.length, 1)
  const c = pod.containers[0] as Obj

  t.same(c.ports, [{ name: 'http', containerPort: PORT, protocol: 'TCP' }])
  t.same(c.livenessProbe.httpGet, { path: '/-/healthy', port: 'http' })
  t.same(c.readinessProbe.httpGet, { path: '/-/ready', port: 'http' })

  t.equal(pod.securityContext.runAsNonRoot, true)
  t.ok(pod.securityContext.runAsUser > 0, 'a numeric non-root uid (the image says USER node, uid 1000)')
  t.equal(c.securityContext.readOnlyRootFilesystem, true)
  t.equal(c.securityContext.allowPrivilegeEscalation, false)
  t.same(c.securityContext.capabilities.drop, ['ALL'])

  // The config path the container is told equals the Dockerfile CMD's and is where the ConfigMap lands.
  t.same(c.args, execForm(only('CMD')), 'args repeat the image CMD')
  const configPath = (c.args as string[])[(c.args as string[]).indexOf('--config') + 1]!
  const mount = (c.volumeMounts as Obj[]).find((m) => configPath.startsWith(`${m.mountPath}/`))
  t.ok(mount, `a volume is mounted above ${configPath}`)
  t.equal(mount!.readOnly, true)
  const vol = (pod.volumes as Obj[]).find((v) => v.name === mount!.name)!
  const cm = ofKind('ConfigMap')
  t.equal(vol.configMap?.name, cm.metadata.name, 'the volume is the ConfigMap')
  t.ok(posix.basename(configPath) in cm.data, `the ConfigMap has the key ${posix.basename(configPath)}`)
  t.equal(posix.dirname(configPath), mount!.mountPath)
})

t.test('the ConfigMap holds a config groundtruth accepts', async (t) => {
  const cm = ofKind('ConfigMap')
  const text = cm.data['groundtruth.yml'] as string
  const config = parseConfig(text, 'configmap.yaml#groundtruth.yml', PROBE_KINDS, { DATABASE_URL: 'postgres://u:p@postgres:5432/app' })
  t.ok(config.services.length > 0)
  t.notOk(config.services.some((s) => s.probe === 'container' || 'container' in s), 'no container checks: no engine socket in a pod')
})

t.test('Service and ServiceMonitor: port 9469 named http, honorLabels, job groundtruth', async (t) => {
  const svc = ofKind('Service')
  const dep = ofKind('Deployment')
  t.same(svc.spec.ports, [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }])
  for (const [k, v] of Object.entries(svc.spec.selector as Obj)) t.equal(dep.spec.template.metadata.labels[k], v, 'the Service selects the pods')
  t.equal(svc.metadata.name, 'groundtruth', 'the job label the shipped alerts select (job="groundtruth")')

  const sm = ofKind('ServiceMonitor')
  t.equal(sm.apiVersion, 'monitoring.coreos.com/v1')
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Obj)) t.equal(svc.metadata.labels[k], v, 'the ServiceMonitor selects the Service')
  t.equal(sm.spec.endpoints.length, 1)
  t.equal(sm.spec.endpoints[0].port, 'http')
  t.equal(sm.spec.endpoints[0].path, '/metrics')
  t.equal(sm.spec.endpoints[0].honorLabels, true)
})

t.test('PrometheusRule: spec.groups are exactly alerts/groundtruth.rules.yml', async (t) => {
  const pr = ofKind('PrometheusRule')
  t.equal(pr.apiVersion, 'monitoring.coreos.com/v1')
  const shipped = parse(readFileSync(RULES, 'utf8')) as { groups: unknown[] }
  t.same(Object.keys(pr.spec), ['groups'])
  t.strictSame(pr.spec.groups, shipped.groups)

  const script = join(K8S, 'render-prometheusrule.mjs')
  const check = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' })
  t.equal(check.status, 0, `the generator agrees: ${check.stderr}`)

  // The generator is the rules file's rendering, so a changed rule changes its output.
  const mod = (await import(new URL(`file://${script}`).href)) as { renderPrometheusRule: (text: string) => string }
  const rendered = mod.renderPrometheusRule(readFileSync(RULES, 'utf8'))
  t.equal(rendered, readFileSync(join(K8S, 'prometheusrule.yaml'), 'utf8'))
  const edited = readFileSync(RULES, 'utf8').replace('for: 2m', 'for: 3m')
  t.not(mod.renderPrometheusRule(edited), rendered, 'drift shows')
})

// --- compose ------------------------------------------------------------------------------

const compose = docsOf(join(COMPOSE, 'docker-compose.groundtruth.yml'))[0]!
const promConfig = docsOf(join(COMPOSE, 'prometheus.yml'))[0]!
/** A compose path, with this repository as GROUNDTRUTH_DIR. */
const hostPath = (p: string) => normalize(p.replace(/\$\{GROUNDTRUTH_DIR(:-[^}]*)?\}/, ROOT))

t.test('compose: groundtruth built from the Dockerfile, socket and config read-only, .env', async (t) => {
  const gt = compose.services.groundtruth as Obj
  t.equal(join(hostPath(gt.build.context), gt.build.dockerfile), join(DEPLOY, 'Dockerfile'))
  const volumes = gt.volumes as string[]
  t.ok(volumes.includes('/var/run/docker.sock:/var/run/docker.sock:ro'), 'the socket read-only')
  const config = volumes.find((v) => v.split(':')[1] === CONFIG_PATH)
  t.ok(config, `the config mounted at ${CONFIG_PATH}, the Dockerfile's CMD path`)
  t.match(config!, /:ro$/)
  for (const v of volumes) t.match(v, /:ro$/, `${v} read-only`)
  t.ok((gt.env_file as string[]).includes('.env'))
  t.equal(gt.read_only, true)
  t.ok((gt.ports as string[]).some((p) => p.endsWith(`:${PORT}:${PORT}`)))
})

t.test('compose: Prometheus scrapes groundtruth with honor_labels and loads the shipped rules', async (t) => {
  const prom = compose.services.prometheus as Obj
  t.match(prom.image, /^prom\/prometheus:/)
  // host:container[:mode], the host side with this repository as GROUNDTRUTH_DIR.
  const mounts = new Map((prom.volumes as string[]).map((v) => hostPath(v).split(':')).map(([src, dst]) => [dst!, src!]))
  t.equal(mounts.get('/etc/prometheus/prometheus.yml'), join(COMPOSE, 'prometheus.yml'))
  for (const rule of promConfig.rule_files as string[]) {
    const inContainer = posix.join('/etc/prometheus', rule)
    const src = mounts.get(inContainer)
    t.ok(src, `${rule} is mounted at ${inContainer}`)
    t.equal(src, RULES, 'the shipped rules')
  }

  const job = (promConfig.scrape_configs as Obj[]).find((j) => j.job_name === 'groundtruth')
  t.ok(job, 'job groundtruth: what the shipped alerts select')
  t.equal(job!.honor_labels, true)
  t.same(job!.static_configs, [{ targets: [`groundtruth:${PORT}`] }], 'the compose service on 9469')
})

t.test('promtool check config accepts prometheus.yml with the shipped rules', { skip: have('promtool') ? false : 'promtool is not installed' }, async (t) => {
  // As in the container: prometheus.yml with the rules under rules/ beside it.
  const dir = mkdtempSync(join(tmpdir(), 'gt-deploy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(COMPOSE, 'prometheus.yml'), join(dir, 'prometheus.yml'))
  for (const rule of promConfig.rule_files as string[]) {
    mkdirSync(dirname(join(dir, rule)), { recursive: true })
    cpSync(RULES, join(dir, rule))
  }
  const r = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' })
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`)
  t.match(r.stdout, /SUCCESS/)
})
