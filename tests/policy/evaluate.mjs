#!/usr/bin/env node
// Evaluates the template's policies: resolves the expanded template for a sample account and
// region under each parameter set in cases.mjs, evaluates every case with an IAM policy
// evaluator (@cloud-copilot/iam-simulate), then every request the function made in the
// emulator tests (target/policy-requests/*.json), and prints one verdict table.
//
// Usage: node evaluate.mjs EXPANDED_TEMPLATE_JSON [--recorded DIR] [--fixture FILE ...]
//   --recorded DIR   the files the emulator tests wrote (target/policy-requests)
//   --fixture FILE   a recorded-requests file kept with this suite, always evaluated
//
// Exits 1 when any verdict differs from its expectation (or could not be evaluated), and
// when DIR holds no recorded requests while POLICY_REQUESTS_REQUIRED=1.
//
// A recorded-requests file, as the emulator tests write it:
//   { "scenario": "drifted catalog is remediated",
//     "parameters": { "EnforcementMode": "remediate" },        template parameter overrides
//     "attributes": { "CatalogKey.Arn": "arn:aws:kms:..." },   resource attributes as deployed
//     "account": "123456789012", "region": "us-east-1", "stack_name": "glue-encryption-guardrail",
//     "requests": [ { "action": "glue:GetDataCatalogEncryptionSettings",
//                     "resource": "arn:aws:glue:us-east-1:123456789012:catalog",
//                     "context": {} } ] }
// Each request must be allowed for the function's role as the template deploys it.

import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { calibration, parameterSets, cases, SAMPLE } from './cases.mjs'
import { deploymentOf, resourcePolicyFor } from './environment.mjs'
import { evaluate, meets, principal, ALLOWED } from './simulate.mjs'

const usage = 'usage: evaluate.mjs EXPANDED_TEMPLATE_JSON [--recorded DIR] [--fixture FILE ...]'
const [templatePath, ...options] = process.argv.slice(2)
let recordedDir
const fixtureFiles = []
for (let i = 0; i < options.length; i += 2) {
  const [flag, value] = [options[i], options[i + 1]]
  if (value === undefined) usageError()
  if (flag === '--recorded') recordedDir = value
  else if (flag === '--fixture') fixtureFiles.push(value)
  else usageError()
}
if (!templatePath) usageError()
function usageError() {
  console.error(usage)
  process.exit(2)
}
const template = JSON.parse(readFileSync(templatePath, 'utf8'))

const COLUMNS = ['case', 'principal', 'action', 'resource', 'context', 'expected', 'actual', 'ok']
const sections = []
let passed = 0
let failed = 0
const problems = []

function record(section, row) {
  const ok = meets(row.expected, row.actual)
  if (ok) passed += 1
  else {
    failed += 1
    problems.push(`${section.title}: ${row.case}: expected ${row.expected}, got ${row.actual}${row.detail ? ` (${row.detail})` : ''}`)
  }
  section.rows.push({ ...row, ok: ok ? 'ok' : 'FAIL' })
}

// Short names for the ARNs a section keeps repeating; the legend under its title spells
// them out.
function namer(legend) {
  const entries = Object.entries(legend).filter(([, arn]) => arn)
  return (arn) => entries.find(([, value]) => value === arn)?.[0] ?? arn.replace(/^arn:aws:/, '')
}

function shortContext(context, name) {
  return Object.entries(context)
    .map(([key, value]) => `${key.replace(/^(kms|aws|iam):/, '')}=${[value].flat().map(name).join('|')}`)
    .join(' ') || '-'
}

// --- 1. The evaluator itself, on policies whose verdict is known ---------------------------
{
  const legend = { key: calibration[0].request.resource }
  const name = namer(legend)
  const section = { title: 'calibration: the evaluator on known policies (not the template)', legend, rows: [] }
  for (const c of calibration) {
    const { result, detail } = await evaluate(c.request)
    record(section, {
      case: c.name,
      principal: name(c.request.who.arn),
      action: c.request.action,
      resource: name(c.request.resource),
      context: shortContext(c.request.context ?? {}, (v) => v),
      expected: c.expect,
      actual: result,
      detail,
    })
  }
  sections.push(section)
}

// --- 2. The template, under each parameter set ---------------------------------------------
for (const set of parameterSets) {
  const d = deploymentOf(template, { ...SAMPLE, parameters: set.parameters })
  const legend = {
    key: d.key,
    'function role': d.functionRole,
    catalog: d.catalog,
    'key parameter': d.keyParameter,
    'exemption parameter': d.exemptionParameter,
    topic: d.topic,
    'topic key': d.topicKey,
    'service role': d.serviceRole,
  }
  const name = namer(legend)
  const title = `${set.name}: ${Object.entries(set.parameters).map(([k, v]) => `${k}=${v}`).join(', ') || 'default parameters'}`
  // Every set after the first prints only what differs from the first; the rest is counted.
  const section = { title, note: set.note, legend, rows: [], baseline: set === parameterSets[0] ? undefined : parameterSets[0].name }
  const applicable = cases.filter((c) => c.sets.includes(set.name))
  if (applicable.length === 0) throw new Error(`parameter set ${set.name} has no cases`)
  for (const c of applicable) {
    const who = c.who(d)
    const resource = c.on(d)
    const context = c.context ? c.context(d) : {}
    const resourcePolicy = c.resourcePolicy ? c.resourcePolicy(d) : resourcePolicyFor(d, resource)
    const { result, detail } = await evaluate({ who, action: c.action, resource, resourcePolicy, context })
    record(section, {
      case: c.name,
      principal: name(who.arn),
      action: c.action,
      resource: name(resource),
      context: shortContext(context, name),
      expected: c.expect,
      actual: result,
      detail,
    })
  }
  sections.push(section)
}

// --- 3. What the function did in the emulator tests ----------------------------------------
const recordedFiles =
  recordedDir && existsSync(recordedDir) && statSync(recordedDir).isDirectory()
    ? readdirSync(recordedDir).filter((f) => f.endsWith('.json')).sort().map((f) => join(recordedDir, f))
    : []
const recordedRequired = process.env.POLICY_REQUESTS_REQUIRED === '1'
const recordedMissing = recordedFiles.length === 0
// Without --recorded, the table is the suite's own, as docs/deploying.md shows it.
if (recordedMissing && recordedDir !== undefined) {
  sections.push({
    title: `recorded requests: none in ${recordedDir}` +
      (recordedRequired ? ' (required: POLICY_REQUESTS_REQUIRED=1)' : ' (the emulator tests write them; run cargo test first)'),
    legend: {},
    rows: [],
  })
}
const requestFiles = [...fixtureFiles, ...recordedFiles]
for (const file of requestFiles) {
  const recorded = JSON.parse(readFileSync(file, 'utf8'))
  for (const field of ['scenario', 'account', 'region', 'stack_name', 'requests']) {
    if (recorded[field] === undefined) throw new Error(`${file}: no "${field}"`)
  }
  const d = deploymentOf(template, {
    account: recorded.account,
    region: recorded.region,
    stackName: recorded.stack_name,
    parameters: recorded.parameters ?? {},
    attributes: recorded.attributes ?? {},
  })
  const legend = {
    key: d.key,
    'function role': d.functionRole,
    catalog: d.catalog,
    'key parameter': d.keyParameter,
    'exemption parameter': d.exemptionParameter,
    topic: d.topic,
    'service role': d.serviceRole,
  }
  const name = namer(legend)
  const overrides = Object.entries(recorded.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')
  const section = {
    title: `recorded: ${recorded.scenario} (${relative(process.cwd(), file)}${overrides ? `; ${overrides}` : ''})`,
    legend,
    rows: [],
  }
  const who = principal({ arn: d.functionRole, policies: d.functionPolicies })
  if (recorded.requests.length === 0) throw new Error(`${file}: no requests`)
  for (const request of recorded.requests) {
    const context = request.context ?? {}
    const { result, detail } = await evaluate({
      who,
      action: request.action,
      resource: request.resource,
      resourcePolicy: resourcePolicyFor(d, request.resource),
      context,
    })
    record(section, {
      case: `the function: ${request.action.split(':')[1]}`,
      principal: name(who.arn),
      action: request.action,
      resource: name(request.resource),
      context: shortContext(context, name),
      expected: ALLOWED,
      actual: result,
      detail,
    })
  }
  sections.push(section)
}

// --- The table -------------------------------------------------------------------------------
// One table per section, each as wide as its own rows. A parameter set other than the first
// shows the rows whose verdict, principal, resource or context differ from the first set's,
// and every failure; the others are counted on one line.
const signature = (row) => COLUMNS.filter((c) => c !== 'ok').map((c) => row[c]).join('\u0000')
for (const section of sections) {
  console.log(`\n== ${section.title}`)
  if (section.note) console.log(`   ${section.note}`)
  for (const [short, arn] of Object.entries(section.legend)) if (arn) console.log(`   ${short.padEnd(19)} ${arn}`)
  let shown = section.rows
  if (section.baseline) {
    const seen = new Set(sections.find((s) => s.title.startsWith(`${section.baseline}:`)).rows.map(signature))
    shown = section.rows.filter((row) => row.ok !== 'ok' || !seen.has(signature(row)))
  }
  if (shown.length > 0) {
    const widths = Object.fromEntries(COLUMNS.map((c) => [c, Math.max(c.length, ...shown.map((r) => String(r[c]).length))]))
    const line = (row) => COLUMNS.map((c) => String(row[c]).padEnd(widths[c])).join(' | ').trimEnd()
    console.log(line(Object.fromEntries(COLUMNS.map((c) => [c, c]))))
    console.log(COLUMNS.map((c) => '-'.repeat(widths[c])).join('-|-'))
    for (const row of shown) console.log(line(row))
  }
  const same = section.rows.length - shown.length
  if (same > 0) console.log(`   + ${same} cases with the same verdicts as in ${section.baseline}, all ok`)
}
console.log('')
for (const problem of problems) console.log(`FAIL  ${problem}`)
if (recordedMissing && recordedRequired) {
  failed += 1
  console.log('FAIL  no recorded requests of the function, and POLICY_REQUESTS_REQUIRED=1')
}
console.log(`policy-checks: ${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1
