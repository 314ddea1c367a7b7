// The alerting library (SPEC §5, issue 6): Prometheus alert and recording
// rules over the metrics of SPEC §3, generated from options so that a team
// never writes PromQL. `alerts/groundtruth.rules.yml` is `renderAlertRules()`
// with the defaults; test/alerts/alerts.test.ts fails when the two drift apart.
//
// table.ts lists the alerts (one spec each, in groups/), options.ts their
// knobs, render.ts turns both into the rule file.
export { alertOptionsFromConfig, type SeveritySource } from './from-config.js'
export {
  DEFAULT_JOB,
  DEFAULT_RUNBOOK_BASE_URL,
  DEFAULT_THRESHOLDS,
  SEVERITIES,
  type AlertOptions,
  type Severity,
  type Thresholds,
} from './options.js'
export { alertRules, renderAlertRules, type AlertingRule, type RecordingRule, type RuleFile, type RuleGroup } from './render.js'
export { ALERT_NAMES, DEFAULT_FOR, DEFAULT_SEVERITY, RECORDING_RULES, type AlertName } from './table.js'
