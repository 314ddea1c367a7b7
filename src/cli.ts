// The command line (SPEC §1): serve, check, report, validate.
// Exit codes: 0 ok / gates passed, 1 gates not met, 2 bad config or usage,
// 3 an internal error (a bug: please report it).
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from './config/errors.js'
import { loadConfig, type Config } from './config/load.js'
import { PROBE_KINDS } from '../probes/index.js'
import { Daemon } from './daemon.js'
import { discover } from './discover.js'
import { loadWebConfig } from './http/web-config.js'
import { findComposeFile } from './init/compose.js'
import { buildStatus, type StatusDocument } from './exposition/status.js'
import { runRound } from './jobs.js'
import { createLogger, type Level } from './log.js'
import type { SecretSet } from './redact.js'
import { ResultStore } from './results.js'
import type { RunResult } from './runner.js'
import { VERSION } from './version.js'

export const DEFAULT_CONFIG = 'groundtruth.yml'
export const DEFAULT_LISTEN = ':9469'
/** Set by `serve` to the URL its own HTTP face answers on; config/local.yml's self-check probes it. */
export const LISTEN_URL_VARIABLE = 'GROUNDTRUTH_LISTEN_URL'

const USAGE = `groundtruth ${VERSION}: measures what is actually working

usage:
  groundtruth serve    [--config FILE] [--listen [HOST]:PORT] [--log-level LEVEL]
                       [--web.config.file FILE] [--web.enable-lifecycle] [--no-schedule]
  groundtruth check    [--config FILE] [--format table|json|markdown]
  groundtruth report   [--config FILE] [--out FILE]
  groundtruth validate [--config FILE]
  groundtruth init     [--from docker-compose.yml] [--out groundtruth.yml|-] [--force]
  groundtruth alerts     [--config FILE] [--job NAME] [--runbook-url URL] [--out FILE]
  groundtruth dashboards --out DIR [--job NAME]
  groundtruth COMMAND --help

--config defaults to ${DEFAULT_CONFIG} in the working directory; without one,
services are discovered from the compose file here (compose.yaml,
docker-compose.yml ...), else from the environment and .env (*_HEALTH_URL ...).
init writes a commented config from a compose file and .env, and says what it
inferred and why; it never overwrites a file without --force.
--listen defaults to ${DEFAULT_LISTEN} (every interface; 127.0.0.1:9469 for loopback only).
--web.config.file takes a Prometheus web config (TLS, basic auth, headers);
--web.enable-lifecycle lets POST /-/reload reload (SIGHUP always does);
--no-schedule runs no scheduled probes: a shard replica that answers /probe only.
alerts renders the Prometheus rule file (with --config, critical services
and what they depend on page; the others warn); dashboards writes the
Grafana dashboards. --job is the scrape job of groundtruth (default groundtruth);
--runbook-url is the runbook each alert links to (URL#alertname).
exit codes: 0 ok, 1 gates not met, 2 bad config or usage, 3 internal error.
`

export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Whether stdout is a terminal (colour in the table). */
  isTTY: boolean
  /** Whether stderr is a terminal (progress while `check` probes); when absent, isTTY. */
  stderrIsTTY?: boolean
  cwd: string
  env: Record<string, string | undefined>
}

const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
  stderrIsTTY: !!process.stderr.isTTY,
  cwd: process.cwd(),
  env: process.env,
})

class UsageError extends Error {}
/** A problem of the invocation or the machine (an address in use): one line on stderr, exit 2. */
class StartError extends Error {}

/** The usage of each command, for `groundtruth COMMAND --help`. */
const COMMAND_USAGE: Record<string, string> = {
  serve: `usage: groundtruth serve [--config FILE] [--listen [HOST]:PORT] [--log-level debug|info|warn|error]
                         [--web.config.file FILE] [--web.enable-lifecycle] [--no-schedule]

Probes every service on its schedule and serves the cached results on
/metrics, /status and / (default --listen ${DEFAULT_LISTEN}). Sets ${LISTEN_URL_VARIABLE} to
its own URL for the config (\${${LISTEN_URL_VARIABLE}}), so a self-check follows --listen.
--web.config.file takes a Prometheus web config (TLS, basic auth, headers);
--web.enable-lifecycle lets POST /-/reload reload. --no-schedule runs no
scheduled probes (nor the env audit): a shard replica (README "Sharding") that
measures a service, and what it depends on, only when Prometheus scrapes
/probe?service=NAME; its /metrics has no service series and /-/ready is ready
at once. SIGHUP reloads the config. Exit 0 after SIGTERM/SIGINT, 2 on a bad
config or an address that is in use.
`,
  check: `usage: groundtruth check [--config FILE] [--format table|json|markdown]

Runs every probe and the env audit once and prints the result (a table, with
colour and progress on a terminal). Exit 0 when the gates pass, 1 when not,
2 on a bad config.
`,
  report: `usage: groundtruth report [--config FILE] [--out FILE]

Runs every probe once and writes the Markdown status report (stdout without --out).
Exit 0, 2 on a bad config.
`,
  validate: `usage: groundtruth validate [--config FILE]

Checks the config file. Exit 0 when it is valid, 2 with every problem listed.
`,
  init: `usage: groundtruth init [--from docker-compose.yml] [--out groundtruth.yml|-] [--force]

Writes a commented groundtruth.yml from a compose file and its .env (or from the
environment), and says what it inferred and why. An existing file is kept
unless --force. Exit 0, 2 on a bad compose file or an existing output.
`,
  alerts: `usage: groundtruth alerts [--config FILE] [--job NAME] [--runbook-url URL] [--out FILE]

Renders the Prometheus rule file. With --config, critical services and what
they depend on page, the others warn. --job is groundtruth's scrape job
(default groundtruth); --runbook-url the runbook each alert links to
(URL#alertname; default the runbook on GitHub). Exit 0, 2 on a bad option.
`,
  dashboards: `usage: groundtruth dashboards --out DIR [--job NAME]

Writes the Grafana dashboards into DIR. Exit 0, 2 without --out.
`,
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io)
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`groundtruth: invalid configuration\n${err.message}\n`)
      return 2
    }
    if (err instanceof StartError) {
      io.stderr(`groundtruth: ${err.message}\n`)
      return 2
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`groundtruth: ${(err as Error).message}\n\n${USAGE}`)
      return 2
    }
    io.stderr(`groundtruth: internal error: ${(err as Error).message}\n`)
    return 3
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout(USAGE)
    return command === undefined ? 2 : 0
  }
  if (command === '--version' || command === 'version') {
    io.stdout(`${VERSION}\n`)
    return 0
  }
  const commandUsage = COMMAND_USAGE[command]
  if (commandUsage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout(commandUsage)
    return 0
  }
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'log-level': { type: 'string' },
      job: { type: 'string' },
      'runbook-url': { type: 'string' },
      from: { type: 'string' },
      force: { type: 'boolean' },
      'web.config.file': { type: 'string' },
      'web.enable-lifecycle': { type: 'boolean' },
      'no-schedule': { type: 'boolean' },
    },
  })
  const load = configLoader(values.config, io)
  const job = values.job ?? 'groundtruth'
  switch (command) {
    // The generators, init and the renderers load with their command: a daemon never needs them (README "Performance and scale").
    case 'alerts': {
      const { alertOptionsFromConfig, renderAlertRules } = await import('./alerts/index.js')
      // Only an explicit --config shapes severities: rules are rendered for a deployment, not discovered.
      const config = values.config === undefined ? undefined : await load()
      const options = config ? alertOptionsFromConfig(config) : {}
      let rules: string
      try {
        // --runbook-url wins over the config's `links.runbooks`.
        const base = values['runbook-url'] ?? config?.links.runbooks
        rules = renderAlertRules({ ...options, job: `job=${JSON.stringify(job)}`, ...(base === undefined ? {} : { runbookBaseUrl: base }) })
      } catch (err) {
        // A bad option (--runbook-url, --job) is the user's, not a bug.
        if ((err as Error).message.startsWith('alert options:')) throw new StartError((err as Error).message)
        throw err
      }
      if (values.out) await writeFile(resolve(io.cwd, values.out), rules)
      else io.stdout(rules)
      return 0
    }
    case 'dashboards': {
      if (values.out === undefined) throw new UsageError('dashboards needs --out DIR')
      const { DASHBOARD_FILES, renderDashboards } = await import('./dashboards/index.js')
      const dir = resolve(io.cwd, values.out)
      await mkdir(dir, { recursive: true })
      for (const [file, text] of Object.entries(renderDashboards({ job }))) await writeFile(join(dir, file), text)
      io.stdout(`wrote ${Object.keys(DASHBOARD_FILES).length} dashboards to ${dir}\n`)
      return 0
    }
    case 'init': {
      const { init } = await import('./init/index.js')
      return init({ from: values.from, out: values.out, force: values.force }, PROBE_KINDS, io)
    }
    case 'validate': {
      const config = await load()
      io.stdout(`${config.file}: ok, ${config.services.length} services\n`)
      return 0
    }
    case 'check':
      return check(await load(), values.format ?? 'table', io)
    case 'report': {
      const config = await load()
      const { renderMarkdown } = await import('./presentation/markdown.js')
      const report = renderMarkdown(await runOnce(config, io), config.file)
      if (values.out) await writeFile(values.out, report)
      else io.stdout(report)
      return 0
    }
    case 'serve':
      return serve((env) => configLoader(values.config, { ...io, env }), values.listen ?? DEFAULT_LISTEN, values['log-level'] ?? 'info', io, {
        webConfigFile: values['web.config.file'],
        enableLifecycle: values['web.enable-lifecycle'] ?? false,
        schedule: !(values['no-schedule'] ?? false),
      })
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

/** The config source: the named file, groundtruth.yml here, or discovery. */
function configLoader(path: string | undefined, io: Io): () => Promise<Config> {
  if (path !== undefined) return () => loadConfig(resolve(io.cwd, path), PROBE_KINDS, io.env)
  const here = resolve(io.cwd, DEFAULT_CONFIG)
  if (existsSync(here)) return () => loadConfig(here, PROBE_KINDS, io.env)
  const compose = findComposeFile(io.cwd, existsSync)
  if (compose !== undefined) {
    return async () => {
      const { discoverFromCompose } = await import('./init/index.js')
      const { config, found } = discoverFromCompose(compose, PROBE_KINDS, io.env)
      io.stderr(`groundtruth: no ${DEFAULT_CONFIG}; discovered from the compose file (groundtruth init writes it as a config):\n${found}`)
      return config
    }
  }
  return async () => {
    const { config, found } = await discover(io.cwd, PROBE_KINDS, io.env)
    io.stderr(`groundtruth: no ${DEFAULT_CONFIG}; discovered:\n${found.map((f) => `  - ${f}\n`).join('')}`)
    return config
  }
}

async function check(config: Config, format: string, io: Io): Promise<number> {
  if (!['table', 'json', 'markdown'].includes(format)) throw new UsageError(`--format must be table, json or markdown, not "${format}"`)
  const doc = await runOnce(config, io, (io.stderrIsTTY ?? io.isTTY) ? progressLine(config.services.length, io) : undefined)
  if (format === 'json') io.stdout(JSON.stringify(doc, null, 2) + '\n')
  else if (format === 'markdown') io.stdout((await import('./presentation/markdown.js')).renderMarkdown(doc, config.file))
  else io.stdout((await import('./presentation/table.js')).renderTable(doc, io.isTTY))
  return doc.gates.passed ? 0 : 1
}

interface Progress {
  probed: (result: RunResult) => void
  done: () => void
}

/** One stderr line, rewritten as probes finish ("probing 3/12 … api"), erased at the end. */
export function progressLine(total: number, io: Pick<Io, 'stderr'>): Progress {
  let finished = 0
  let shown = false
  return {
    probed: (result) => {
      finished++
      shown = true
      io.stderr(`\r\x1b[Kprobing ${finished}/${total} … ${result.service}`)
    },
    done: () => {
      if (shown) io.stderr('\r\x1b[K')
    },
  }
}

/** Every probe and the env audit once: what `check` and `report` show. */
async function runOnce(config: Config, io: Io, progress?: Progress): Promise<StatusDocument> {
  const log = createLogger({ level: 'warn', secrets: () => config.secrets, write: (line) => io.stderr((progress ? '\r\x1b[K' : '') + line + '\n') })
  const store = new ResultStore()
  if (progress) {
    const record = store.record.bind(store)
    store.record = (result) => {
      record(result)
      progress.probed(result)
    }
  }
  try {
    const snapshot = await runRound(config, { store, log, cwd: io.cwd, processEnv: io.env })
    return buildStatus(snapshot, config)
  } finally {
    progress?.done()
  }
}

/** The URL a client on this machine reaches a server listening on host:port at. */
export function listenUrl(host: string | undefined, port: number, tls: boolean): string {
  const wildcard = host === undefined || host === '0.0.0.0' || host === '::'
  const reachable = wildcard ? (host === '::' ? '[::1]' : '127.0.0.1') : host.includes(':') ? `[${host}]` : host
  return `${tls ? 'https' : 'http'}://${reachable}:${port}`
}

export function parseListen(listen: string): { host?: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(listen)
  const port = Number(m?.[2])
  if (!m || port < 1 || port > 65535) throw new UsageError(`--listen expects [HOST]:PORT such as ${DEFAULT_LISTEN} or 127.0.0.1:9469, not "${listen}"`)
  const host = m[1]?.replace(/^\[(.*)\]$/, '$1')
  return { host: host || undefined, port }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another program listens there); stop it or choose another with --listen',
  EACCES: 'permission denied (ports below 1024 need privileges); choose another with --listen',
  EADDRNOTAVAIL: 'no interface of this machine has that address; choose another with --listen',
}

async function serve(loader: (env: Io['env']) => () => Promise<Config>, listen: string, level: string, io: Io, web: { webConfigFile?: string; enableLifecycle: boolean; schedule: boolean }): Promise<number> {
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error, not "${level}"`)
  const { host, port } = parseListen(listen)
  // A bad web config is a bad config: exit 2 before anything starts.
  const webConfig = web.webConfigFile === undefined ? undefined : await loadWebConfig(resolve(io.cwd, web.webConfigFile))
  // The config sees where this server answers (a self-check follows --listen); the env audit sees the real environment.
  const load = loader({ ...io.env, [LISTEN_URL_VARIABLE]: listenUrl(host, port, webConfig?.tls !== undefined) })
  let secrets: SecretSet | undefined
  const log = createLogger({ level: level as Level, secrets: () => secrets, write: (line) => io.stderr(line + '\n') })
  for (const note of webConfig?.notes ?? []) log.warn(note, { file: webConfig!.file })
  const daemon = await Daemon.create({
    load: async () => {
      const config = await load()
      secrets = config.secrets
      return config
    },
    log,
    cwd: io.cwd,
    processEnv: io.env,
    schedule: web.schedule,
  })
  try {
    await daemon.listen(port, host, { web: webConfig, enableLifecycle: web.enableLifecycle })
  } catch (err) {
    const why = LISTEN_ERRORS[(err as { code?: string }).code ?? '']
    if (why === undefined) throw err
    await daemon.stop()
    throw new StartError(`cannot listen on ${listen}: ${why}`)
  }
  log.info('groundtruth listening', {
    listen,
    version: VERSION,
    config: daemon.config.file,
    services: daemon.config.services.length,
    tls: webConfig?.tls !== undefined,
    basic_auth_users: webConfig?.users.size ?? 0,
    lifecycle: web.enableLifecycle,
    schedule: web.schedule,
  })
  // Probing starts once the server listens, so a service that probes groundtruth itself finds it up.
  if (web.schedule) void daemon.startProbing()
  else log.info('no scheduled probes (--no-schedule): services are probed only when /probe asks', { services: daemon.config.services.length })

  const onHup = () => void daemon.reload()
  process.on('SIGHUP', onHup)
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info('shutting down', { signal })
      resolve()
    }
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
  })
  process.off('SIGHUP', onHup)
  await daemon.stop()
  return 0
}
