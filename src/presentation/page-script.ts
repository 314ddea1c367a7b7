// The page's progressive script, inlined: every probe interval it fetches
// /status and re-renders the dynamic parts (verdict, gate failures, the time
// of the last round, and per service its state, since when, why, latency,
// history and uptime). Text only ever goes in through textContent, never
// innerHTML. Without JavaScript the server-rendered page is complete.
import { STATE_WORDS } from '../env/words.js'
import { REASON_WORDS } from './lines.js'

/** JSON safe inside a <script> element. */
const inline = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')

export const PAGE_SCRIPT = `(function () {
  'use strict'
  var REASONS = ${inline(REASON_WORDS)}
  var ENV = ${inline(STATE_WORDS)}
  var MARK = { ready: '\\u2714 ready', not_ready: '\\u26a0 not ready', down: '\\u2716 down', pending: '\\u2026 pending' }
  var SINCE = { ready: 'ready since ', not_ready: 'not ready since ', down: 'down since ', pending: '' }
  var body = document.body
  var seconds = Number(body.getAttribute('data-refresh'))
  if (!(seconds > 0) || !window.fetch) return
  var status = document.getElementById('refresh-state')

  function el(tag, cls, text) {
    var e = document.createElement(tag)
    if (cls) e.className = cls
    if (text !== undefined) e.textContent = text
    return e
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild) }
  function percent(r) { return Math.round(r * 1000) / 10 + '%' }
  function list(xs) { return xs.length <= 1 ? (xs[0] || '') : xs.slice(0, -1).join(', ') + ' and ' + xs[xs.length - 1] }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC') : '' }
  function latency(s) {
    if (s.duration_seconds === null) return '-'
    var ms = s.duration_seconds * 1000
    return ms < 1000 ? Math.round(ms) + 'ms' : Math.round(ms / 100) / 10 + 's'
  }
  function failure(reason, error) {
    var rest = error && reason && error.indexOf(reason + ': ') === 0 ? error.slice(reason.length + 2) : error
    var words = reason && REASONS[reason] ? REASONS[reason] : (reason || 'the probe failed')
    return rest ? words + ' \\u2014 ' + rest : words
  }
  // Why a service is not ready, as nodes: dependencies are links to their rows.
  function why(s, cell) {
    clear(cell)
    if (s.state === 'pending') { cell.textContent = 'not probed yet'; return }
    var parts = []
    if (s.state === 'down' && !s.causes.some(function (c) { return c.cause === 'down' })) parts.push([failure(s.reason, s.error)])
    s.causes.forEach(function (c) {
      if (c.cause === 'down') {
        var m = /^([a-z]+): ([\\s\\S]*)$/.exec(c.detail)
        parts.push([m && REASONS[m[1]] ? failure(m[1], m[2]) : c.detail === 'down' ? failure(s.reason, s.error) : c.detail])
      } else if (c.cause === 'dependency') {
        var nodes = ['waits on ']
        c.services.forEach(function (d, i) {
          if (i) nodes.push(i === c.services.length - 1 ? ' and ' : ', ')
          var a = el('a', null, d)
          a.setAttribute('href', '#svc-' + encodeURIComponent(d))
          nodes.push(a)
        })
        var roots = c.roots.filter(function (r) { return c.services.indexOf(r) < 0 })
        nodes.push(' (not ready' + (roots.length ? '; ' + list(roots) + (roots.length > 1 ? ' are' : ' is') + ' down at the root' : '') + ')')
        parts.push(nodes)
      } else if (c.cause === 'env') {
        parts.push([c.variables.map(function (v) { return v.name + ' ' + (ENV[v.state] || v.state) + (v.sources.length ? ' in ' + list(v.sources) : '') }).join('; ')])
      } else if (c.cause === 'migrations') {
        parts.push([c.findings.map(function (f) { return f.summary }).join('; ')])
      }
    })
    if (s.state !== 'down' && s.last_probe_ok === false) {
      var n = s.consecutive_failures
      parts.push(['its last probe failed' + (n > 1 ? ' (' + n + ' in a row)' : '') + ', not counted as down yet: ' + failure(s.reason, s.error)])
    }
    if (s.container && s.container.lastWords && s.state !== 'ready') parts.push(['container ' + s.container.name + ' says: ' + s.container.lastWords])
    parts.forEach(function (nodes, i) {
      if (i) cell.appendChild(document.createTextNode('; '))
      nodes.forEach(function (n) { cell.appendChild(typeof n === 'string' ? document.createTextNode(n) : n) })
    })
  }
  function history(s, cell) {
    clear(cell)
    if (!s.history.length) { cell.appendChild(el('span', 'hist-empty', 'no runs yet')); return }
    var bar = el('span', 'hist')
    var failed = s.history.filter(function (h) { return !h.ok }).length
    bar.setAttribute('role', 'img')
    bar.setAttribute('aria-label', 'last ' + s.history.length + ' runs: ' + (s.history.length - failed) + ' passed, ' + failed + ' failed')
    s.history.forEach(function (h) {
      var i = el('i', h.ok ? h.state : 'fail')
      i.setAttribute('title', when(h.at) + ': ' + (h.ok ? 'passed' : 'failed') + ', ' + h.state.replace('_', ' '))
      bar.appendChild(i)
    })
    cell.appendChild(bar)
  }
  function text(id, value) { var e = document.getElementById(id); if (e) e.textContent = value }

  function render(doc) {
    var verdict = document.getElementById('verdict')
    verdict.className = 'verdict ' + (doc.gates.passed ? 'pass' : 'fail')
    text('headline', doc.services.length === 0 ? 'nothing is configured: the config names no services' : doc.ready_ratio === null ? 'first round of probes still running' : percent(doc.ready_ratio) + ' ready')
    text('verdict-mark', doc.gates.passed ? '\\u2714' : '\\u2716')
    var n = doc.gates.failures.length
    text('gates', doc.gates.passed ? 'passed' : 'failed: ' + (n === 1 ? 'one failure' : n + ' failures'))
    var ul = document.getElementById('failures')
    clear(ul)
    doc.gates.failures.forEach(function (f) { ul.appendChild(el('li', null, f)) })
    var last = doc.services.map(function (s) { return s.last_run || '' }).sort().pop()
    var round = document.getElementById('last-round')
    round.textContent = last ? when(last) : 'none yet'
    if (last) round.setAttribute('datetime', last)
    Array.prototype.forEach.call(document.querySelectorAll('[data-group-ratio]'), function (e) {
      var r = doc.groups[e.getAttribute('data-group-ratio')]
      if (r !== undefined) e.textContent = percent(r) + ' ready'
    })
    var rows = {}
    Array.prototype.forEach.call(document.querySelectorAll('tr[data-service]'), function (tr) { rows[tr.getAttribute('data-service')] = tr })
    var unknown = false
    doc.services.forEach(function (s) {
      var tr = rows[s.name]
      if (!tr) { unknown = true; return }
      tr.className = 'state-' + s.state
      var cell = function (c) { return tr.querySelector('td.' + c) }
      var badge = cell('state').firstChild
      badge.className = 'badge ' + s.state
      badge.textContent = MARK[s.state]
      var since = cell('since')
      clear(since)
      if (s.state_since && SINCE[s.state]) {
        since.appendChild(document.createTextNode(SINCE[s.state]))
        var t = el('time', null, when(s.state_since))
        t.setAttribute('datetime', s.state_since)
        since.appendChild(t)
      }
      why(s, cell('why'))
      cell('latency').textContent = latency(s)
      history(s, cell('history'))
      cell('uptime').textContent = s.uptime === null ? '-' : percent(s.uptime)
    })
    status.className = unknown ? 'stale' : ''
    status.textContent = unknown ? '\\u00b7 the service list changed: reload the page' : '\\u00b7 updated ' + when(doc.generated_at)
  }

  function refresh() {
    fetch('status', { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json() })
      .then(render)
      .catch(function (e) {
        status.className = 'stale'
        status.textContent = '\\u00b7 refresh failed (' + e.message + '); showing the last known state'
      })
      .then(function () { setTimeout(refresh, seconds * 1000) })
  }
  setTimeout(refresh, seconds * 1000)
})()
`
