// The `container:` key every service may carry (SPEC §2): the container the
// service runs in, judged alongside its own probe, or the whole of a
// `probe: container` service. Shared vocabulary: the config validates it,
// the container probe reads it.
import { z } from 'zod'
import { duration } from './fields.js'

/** Container names as Docker and Podman accept them. */
const containerName = z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name (letters, digits, "_", "." and "-")')

export const containerSetting = z
  .union([
    containerName,
    z.strictObject({
      name: containerName,
      /** Restarts within `window` that make a restart loop. */
      max_restarts: z.int().min(1).max(1000).default(3),
      window: duration.prefault('10m'),
    }),
  ])
  .transform((value): ContainerSetting => (typeof value === 'string' ? { name: value, max_restarts: 3, window: 600_000 } : value))

export interface ContainerSetting {
  name: string
  max_restarts: number
  window: number
  /** The engine, from the top-level `docker.host` (the config layer fills it in). */
  host?: string
}

/** Where the container engine answers: `docker.host`, else DOCKER_HOST, else Docker's socket. */
export function defaultDockerHost(env: Record<string, string | undefined>): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock'
}
