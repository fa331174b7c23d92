// One request, evaluated by @cloud-copilot/iam-simulate the way AWS would: the principal's
// identity policies, the resource's policy (a key policy for a KMS key), and the request
// context AWS itself adds to every request of that principal.

import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

export const ALLOWED = 'Allowed'
export const DENIED = 'Denied' // expected: anything but Allowed (implicitly or explicitly)

/**
 * A principal of a case: ARN of an IAM role, its account, the organization that account
 * belongs to (or none), its principal tags, and the identity policies attached to it.
 */
export function principal({ arn, organization, tags = {}, policies = [] }) {
  const account = arn.split(':')[4]
  if (!/^[0-9]{12}$/.test(account)) throw new Error(`principal ${arn} has no account`)
  return { arn, account, organization, tags, policies }
}

/** The context keys AWS sets on every request of WHO, whatever the request. */
function requestContext(who, action) {
  const context = {
    'aws:PrincipalArn': who.arn,
    'aws:PrincipalAccount': who.account,
    'aws:PrincipalType': 'AssumedRole',
  }
  if (who.organization) context['aws:PrincipalOrgID'] = who.organization
  for (const [key, value] of Object.entries(who.tags)) context[`aws:PrincipalTag/${key}`] = value
  // KMS sets kms:CallerAccount on every request to the account of the caller.
  if (action.toLowerCase().startsWith('kms:')) context['kms:CallerAccount'] = who.account
  return context
}

/**
 * Evaluates one request. Returns { result, detail } where result is Allowed,
 * ImplicitlyDenied, ExplicitlyDenied, or Error (the request or a policy was invalid, or a
 * context key of the case does not apply to the action: a verdict would then mean nothing).
 */
export async function evaluate({ who, action, resource, resourcePolicy, context = {} }) {
  const caseContext = { ...context }
  const simulation = {
    request: {
      principal: who.arn,
      action,
      resource: { resource, accountId: resourceAccount(resource) },
      contextVariables: { ...requestContext(who, action), ...caseContext },
    },
    identityPolicies: who.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { result: 'Error', detail: JSON.stringify(response.errors) }
  }
  if (response.resultType !== 'single') {
    return { result: 'Error', detail: `expected one resource, the simulator ran ${response.resultType}` }
  }
  const ignored = (response.result.ignoredContextKeys ?? []).filter((key) => key in caseContext)
  // The evaluator's key validation matches variable keys only up to a "/", so it drops
  // kms:EncryptionContext:<key> although KMS sets it. The request has passed every other
  // check by now; evaluate it once more, unvalidated, with those keys kept.
  const encryptionContext = ignored.filter((key) => key.startsWith('kms:EncryptionContext:'))
  const unknown = ignored.filter((key) => !encryptionContext.includes(key))
  if (unknown.length > 0) {
    return { result: 'Error', detail: `context keys that do not apply to ${action}: ${unknown.join(', ')}` }
  }
  if (encryptionContext.length > 0) {
    // The unvalidated entry point loads the resource policy without a name, which it then
    // needs: hand it over as an already validated policy (it was, just above).
    const named = resourcePolicy && { __validated: true, policyDocument: resourcePolicy, metadata: { name: 'resource policy' }, errors: [] }
    return { result: runUnsafeSimulation({ ...simulation, resourcePolicy: named }, {}), detail: '' }
  }
  return { result: response.overallResult, detail: '' }
}

function resourceAccount(arn) {
  const account = arn.split(':')[4]
  if (!/^[0-9]{12}$/.test(account ?? '')) throw new Error(`resource ${arn} names no account`)
  return account
}

/** Whether an actual verdict meets an expectation (Allowed, or Denied meaning not allowed). */
export function meets(expected, actual) {
  if (actual === 'Error') return false
  return expected === ALLOWED ? actual === ALLOWED : actual !== ALLOWED
}
