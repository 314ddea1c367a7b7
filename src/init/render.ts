// The inferred config as a commented groundtruth.yml: each service under the
// reasons it was inferred, with what a person must still check as NOTEs.
import { Document, isMap, isSeq, type Pair, type Scalar, type YAMLMap } from 'yaml'
import type { Inference } from './infer.js'

/** The raw config object (what validation takes). */
export function configObject(inference: Inference): Record<string, unknown> {
  return {
    ...(inference.environment ? { environment: inference.environment.value } : {}),
    services: inference.services.map((s) => s.config),
    ...(inference.env.length > 0 ? { env: inference.env } : {}),
    docker: { host: '${DOCKER_HOST:-unix:///var/run/docker.sock}' },
  }
}

export function renderConfig(inference: Inference, from: string): string {
  const doc = new Document(configObject(inference))
  const dotenv = inference.env.find((e) => /(^|\/)\.env$/.test(e.file))
  doc.commentBefore = [
    ` Written by \`groundtruth init\` from ${from} (compose project "${inference.project}", from ${inference.projectFrom}).`,
    ` Every compose service is a service here, judged by its container as compose names it:`,
    ` one that was never created shows as absent, one whose image was never built or pulled as image missing.`,
    ` Credentials are references to the environment (\${VAR}), never values: load the .env first,`,
    `   set -a; . ./${dotenv?.file ?? '.env'}; set +a; groundtruth validate --config <this file>`,
    ` A password is put into a URL as it is set: one with @ : / # in it must be percent-encoded there.`,
    ` Lines marked NOTE need a person.`,
    ...inference.notes.map((n) => ` NOTE: ${n}`),
  ].join('\n')
  const root = doc.contents as YAMLMap
  const pair = (key: string) => root.items.find((p) => (p.key as Scalar).value === key) as Pair<Scalar, unknown> | undefined
  const environment = pair('environment')
  if (environment && inference.environment) {
    ;(environment.value as Scalar).comment = ` what the env audit judges against (from ${inference.environment.from})`
  }
  const services = pair('services')?.value
  if (isSeq(services)) {
    services.items.forEach((item, i) => {
      const s = inference.services[i]!
      if (isMap(item)) item.commentBefore = [...s.why.map((w) => ` ${w}`), ...s.notes.map((n) => ` NOTE: ${n}`)].join('\n')
    })
  }
  const env = pair('env')
  if (env) (env.key as Scalar).commentBefore = ' the env audit: placeholders, missing and weak values in these files'
  const docker = pair('docker')
  if (docker) (docker.key as Scalar).commentBefore = ' the container engine the container checks ask: Docker, or Podman\'s Docker-compatible API'
  return doc.toString({ lineWidth: 0 })
}
