// What the HTTP layer sees of groundtruth (a narrow view the daemon
// provides) and the shapes its two halves share: the scrape paths on
// node:http (server.ts) and Express' routes (routes.ts).
import type { ServerResponse } from 'node:http'
import type { Exposition } from '../exposition/registries.js'
import type { StatusDocument } from '../exposition/status.js'
import type { TargetGroup } from './sd.js'
import type { WebConfig } from './web-config.js'

export type { Exposition }

/** /probe's answer when its process-wide queue is full: a 503 with Retry-After. */
export interface Busy {
  busy: true
  retryAfterSeconds: number
}

/** Which services `/probe` asks for: names and groups. */
export interface Selection {
  services: string[]
  groups: string[]
}

export interface ReloadOutcome {
  ok: boolean
  error?: string
}

/** What the HTTP layer may see and do; the daemon provides it. */
export interface View {
  /** The exposition of the last scheduled results. */
  metrics(): Promise<Exposition>
  /** Names or groups not configured (for a 400), or empty. */
  unknownIn(selection: Selection): string[]
  /** Probes the selection now; its metrics only, or `busy` when the process-wide queue is full. */
  probe(selection: Selection): Promise<Exposition | Busy>
  status(): StatusDocument & Record<string, unknown>
  /** Every configured service as an `http_sd_config` target group (names and groups only). */
  targetGroups(): TargetGroup[]
  /** The first round of probes is done. */
  ready(): boolean
  reload(): Promise<ReloadOutcome>
}

export interface AppOptions {
  /** `--web.config.file`, loaded. */
  web?: WebConfig
  /** `--web.enable-lifecycle`: without it `POST /-/reload` answers 403 (SIGHUP still reloads). */
  enableLifecycle?: boolean
}

/** Query parameters as Express' default ("simple") parser gives them: repeated keys become lists. */
export type Query = Record<string, string | string[] | undefined>

/** One of the paths answered on node:http (and, spelled otherwise, through Express). */
export type ScrapeHandler = (query: Query, res: ServerResponse) => Promise<void>
