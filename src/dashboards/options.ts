// The knobs of the dashboards and their defaults.

export interface DashboardOptions {
  /** Default value of the `job` variable (the scrape job of groundtruth). Default `groundtruth`. */
  job?: string
  /** Prefix of the dashboard titles. Default `groundtruth`. */
  title?: string
  /** Default (current) value of the `datasource` variable; panels still use `${datasource}`. */
  datasourceUid?: string
  /** Readiness ratio at or above which readiness shows green. Default 0.95 (the default gate). */
  readyThreshold?: number
  /** Dashboard auto-refresh. Default `30s`. */
  refresh?: string
}

export interface ResolvedDashboardOptions {
  /**
   * The `job` option: a job name, the initial value of the `$job` variable
   * (unlike the alert options' `job`, which is label matchers).
   */
  defaultJob: string
  title: string
  datasourceUid?: string
  readyThreshold: number
  refresh: string
}

export function resolveDashboardOptions(options: DashboardOptions = {}): ResolvedDashboardOptions {
  const o: ResolvedDashboardOptions = {
    defaultJob: options.job ?? 'groundtruth',
    title: options.title ?? 'groundtruth',
    readyThreshold: options.readyThreshold ?? 0.95,
    refresh: options.refresh ?? '30s',
    ...(options.datasourceUid !== undefined ? { datasourceUid: options.datasourceUid } : {}),
  }
  if (!(o.readyThreshold > 0 && o.readyThreshold <= 1)) throw new RangeError(`readyThreshold must be in (0, 1], got ${o.readyThreshold}`)
  if (o.defaultJob === '') throw new RangeError('job must not be empty')
  return o
}
