// The container probe: what the container engine (Docker, or Podman's
// Docker-compatible API) says of a service's container. `probe: container`
// is a service that is only a container (a worker); `container:` on any other
// service adds these checks to its own probe (src/companion.ts). Read-only:
// GET /containers/{name}/json, /images/{ref}/json and, for a dying container,
// the tail of /containers/{id}/logs.
import { defineProbe, type CheckResult } from '../../src/probe.js'
import { formatDuration } from '../../src/duration.js'
import { containerSetting } from '../../src/settings/container.js'
import { expectations } from '../../src/settings/fields.js'
import { engineGet, engineJson, parseEngine, type Engine } from './engine.js'
import { containerCollector, type ContainerFacts, type ContainerHealth, type ContainerState } from './facts.js'
import { demux, mostTellingLine, TAIL_BYTES, TAIL_LINES } from './last-words.js'
import { judgeRestarts } from './restarts.js'

/** The parts of GET /containers/{name}/json that are judged. */
interface Inspect {
  Id: string
  RestartCount?: number
  Config?: { Image?: string; Tty?: boolean; Healthcheck?: { Test?: string[] } }
  State?: {
    Status?: string
    Running?: boolean
    Restarting?: boolean
    ExitCode?: number
    OOMKilled?: boolean
    StartedAt?: string
    FinishedAt?: string
    Error?: string
    Health?: { Status?: string }
  }
}

const STATES = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'])
const NEVER = '0001-01-01T00:00:00Z'

const settings = { container: containerSetting, expect: expectations({}).prefault({}) }

export default defineProbe({
  kind: 'container',
  settings,
  collectors: [containerCollector],

  checkNames: () => ['container:running', 'container:restarts', 'container:image'],

  target: (svc) => `container://${svc.container.name}`,

  async run(svc, ctx) {
    const c = svc.container
    const engine = parseEngine(c.host ?? 'unix:///var/run/docker.sock')
    const name = c.name.replace(/^\//, '')
    const inspect = await engineJson<Inspect>(engine, `/containers/${encodeURIComponent(name)}/json`, ctx.signal)
    if (!inspect) return absent(name)

    const s = inspect.State ?? {}
    const state: ContainerState = s.Restarting ? 'restarting' : STATES.has(s.Status as ContainerState) ? (s.Status as ContainerState) : s.Running ? 'running' : 'exited'
    const health = healthOf(inspect)
    const startedAt = s.StartedAt && s.StartedAt !== NEVER ? Date.parse(s.StartedAt) : undefined
    const restartCount = inspect.RestartCount ?? 0
    const image = inspect.Config?.Image
    const imagePresent = image ? (await engineJson(engine, `/images/${encodeURIComponent(image)}/json`, ctx.signal)) !== undefined : false
    const restarts = judgeRestarts(`${engine.shown} ${name}`, restartCount, startedAt, c.max_restarts, c.window)

    const running = state === 'running' && !restarts.loop
    const lastWords = running ? undefined : await readLastWords(engine, inspect, ctx.signal)
    const exit = s.ExitCode ?? 0
    const checks: CheckResult[] = [
      { name: 'container:running', ok: state === 'running', detail: describeState(state, exit, s, lastWords) },
      ...(health === 'none' ? [] : [{ name: 'container:health', ok: health === 'healthy', detail: `healthcheck: ${health}` }]),
      {
        name: 'container:restarts',
        ok: !restarts.loop,
        detail: `${restarts.restarts} restart${restarts.restarts === 1 ? '' : 's'} within ${formatDuration(c.window)} (a loop from ${c.max_restarts}; ${restartCount} since created)${restarts.loop && lastWords && state === 'running' ? `; last words: ${lastWords}` : ''}`,
      },
      { name: 'container:image', ok: imagePresent, detail: imagePresent ? `image ${image} is on the host` : `image ${image ?? '(none)'} is not on the host: never built or pulled, or removed` },
    ]
    const facts: ContainerFacts = {
      name,
      state,
      health,
      restartCount,
      exitCode: exit,
      oomKilled: s.OOMKilled === true,
      imagePresent,
      ...(image ? { image } : {}),
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(lastWords ? { lastWords } : {}),
    }
    return {
      checks,
      reason: 'container',
      info: { container_state: state, ...(lastWords ? { last_words: lastWords } : {}), restart_count: restartCount },
      facts: { container: facts },
    }
  },
})

/** No such container: absent, every check failed, the image unknown. */
function absent(name: string) {
  const detail = `no container named ${name}: not deployed, or removed`
  return {
    checks: [
      { name: 'container:running', ok: false, detail },
      { name: 'container:restarts', ok: true, detail: 'no container to restart' },
      { name: 'container:image', ok: false, detail: 'no container, so no image to check' },
    ],
    reason: 'container' as const,
    info: { container_state: 'absent' },
    facts: { container: { name, state: 'absent' as const, health: 'none' as const, restartCount: 0, exitCode: 0, oomKilled: false, imagePresent: false } },
  }
}

function healthOf(inspect: Inspect): ContainerHealth {
  // Podman answers "" without a healthcheck; Docker leaves Health out.
  const status = inspect.State?.Health?.Status
  if (status === 'healthy' || status === 'unhealthy' || status === 'starting') return status
  return 'none'
}

function describeState(state: ContainerState, exit: number, s: NonNullable<Inspect['State']>, lastWords: string | undefined): string {
  const words = lastWords ? `; last words: ${lastWords}` : ''
  if (state === 'running') return 'running'
  if (state === 'exited') return `exited with code ${exit}${s.OOMKilled ? ' (killed: out of memory)' : ''}${words}`
  if (state === 'created' && s.Error) return `created but never started: ${s.Error.slice(0, 200)}`
  return `${state}${exit ? ` (last exit code ${exit})` : ''}${words}`
}

/** The most telling line of the log's tail, both streams; nothing when it cannot be read in time. */
async function readLastWords(engine: Engine, inspect: Inspect, signal: AbortSignal): Promise<string | undefined> {
  try {
    const answer = await engineGet(engine, `/containers/${inspect.Id}/logs?stdout=1&stderr=1&tail=${TAIL_LINES}`, signal, TAIL_BYTES)
    if (answer.status !== 200) return inspect.State?.Error || undefined
    return mostTellingLine(demux(answer.body, inspect.Config?.Tty === true)) ?? (inspect.State?.Error || undefined)
  } catch {
    return inspect.State?.Error || undefined
  }
}
