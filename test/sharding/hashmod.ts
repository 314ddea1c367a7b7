// Prometheus' `hashmod` relabel action (model/relabel, 2.x): the MD5 of the
// source label values joined by `;`, its last 8 bytes as a big-endian
// integer, modulo the modulus. The tests use it to predict which replica
// the shipped scrape config sends each service to.
import { createHash } from 'node:crypto'

export function hashmod(value: string, modulus: number): number {
  return Number(createHash('md5').update(value).digest().readBigUInt64BE(8) % BigInt(modulus))
}
