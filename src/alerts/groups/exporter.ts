// Alerts about groundtruth itself: when it is not scraped, nothing else can fire.
import { CONFIG_RELOAD_OK } from '../../exposition/self.js'
import { SCRAPE_UP } from '../promql.js'
import { ruleGroup } from '../spec.js'

export const exporterAlerts = ruleGroup('groundtruth-exporter', [
  {
    name: 'GroundtruthExporterDown',
    for: '2m',
    severity: 'critical',
    expr: (x) => `${x.sel(SCRAPE_UP)} == 0`,
    summary: 'groundtruth exporter {{ $labels.instance }} is down',
    description:
      'Prometheus cannot scrape groundtruth at {{ $labels.instance }} (job {{ $labels.job }}): no service, env or migration result is being measured, so no other groundtruth alert can fire.',
  },
  {
    name: 'GroundtruthExporterAbsent',
    for: '5m',
    severity: 'critical',
    expr: (x) => `absent(${x.sel(SCRAPE_UP)})`,
    summary: 'groundtruth exporter is absent',
    description: (x) => `Prometheus has no scrape target matching {${x.matchers}}: groundtruth is not being scraped at all, so no other groundtruth alert can fire.`,
  },
  {
    name: 'GroundtruthConfigReloadFailed',
    for: '0m',
    severity: 'warning',
    expr: (x) => `${x.sel(CONFIG_RELOAD_OK)} == 0`,
    summary: 'groundtruth config reload failed on {{ $labels.instance }}',
    description:
      'The last reload of the groundtruth configuration on {{ $labels.instance }} failed; the previous configuration stays in force. The error is in the log and in /status.',
  },
])
