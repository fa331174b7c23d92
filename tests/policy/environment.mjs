// What a case needs to know about one deployment of the template: the resolved template and,
// taken from it, the key and its policy, the function's role and the policies attached to it,
// the ARNs the function works on. Built once per parameter set (and once per recorded file).

import { resolveTemplate } from './resolve.mjs'

// The key policy KMS gives a key created without one: the account's IAM policies decide.
// It stands in for a key brought with KmsKeyArn, whose real policy the template cannot know;
// docs/deploying.md asks such a key to allow the guardrail's role kms:DescribeKey, which this
// default policy does through IAM.
export function defaultKeyPolicy(accountId, partition) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  }
}

function asList(value) {
  return Array.isArray(value) ? value : [value]
}

/**
 * Resolves TEMPLATE for a deployment and returns what the cases read:
 *   account, region, partition, stackName, parameters, conditions, resolved
 *   key, keyPolicy, keyCreated    the catalog key ARN; its policy (the template's, or the
 *                                 KMS default for a key brought with KmsKeyArn)
 *   functionRole                  the function's execution role ARN
 *   functionPolicies              [{name, policy}]: its inline policies and every
 *                                 AWS::IAM::Policy attached to it
 *   catalog, keyParameter, exemptionParameter, topic, topicKey, topicPolicy, topicKeyPolicy
 *   serviceRole                   ARN from CATALOG_SERVICE_ROLE_ARN, or undefined
 *   environment                   the function's environment variables
 */
export function deploymentOf(template, { account, region, stackName, parameters = {}, attributes = {} }) {
  const resolved = resolveTemplate(template, { accountId: account, region, stackName, parameters, attributes })
  const { resources, pseudo } = resolved
  const partition = pseudo['AWS::Partition']

  const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')
  if (functions.length !== 1) throw new Error(`expected one function, found ${functions.length}`)
  const [, fn] = functions[0]
  const functionRole = fn.Properties.Role
  const environment = fn.Properties.Environment?.Variables ?? {}

  const roleEntry = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && r.attributes.Arn === functionRole,
  )
  if (!roleEntry) throw new Error(`the function's role ${functionRole} is not a role of the template`)
  const [roleId, role] = roleEntry
  const functionPolicies = (role.Properties.Policies ?? []).map((p) => ({
    name: `${roleId}/${p.PolicyName}`,
    policy: p.PolicyDocument,
  }))
  for (const [policyId, policy] of Object.entries(resources)) {
    if (policy.Type !== 'AWS::IAM::Policy' && policy.Type !== 'AWS::IAM::ManagedPolicy') continue
    if (!asList(policy.Properties.Roles ?? []).includes(role.ref)) continue
    functionPolicies.push({ name: policyId, policy: policy.Properties.PolicyDocument })
  }
  for (const arn of role.Properties.ManagedPolicyArns ?? []) {
    throw new Error(`the function's role has a managed policy ${arn}, which this suite cannot read`)
  }

  const keyCreated = 'CatalogKey' in resources
  const key = keyCreated ? resources.CatalogKey.attributes.Arn : resolved.parameters.KmsKeyArn
  const keyPolicy = keyCreated ? resources.CatalogKey.Properties.KeyPolicy : defaultKeyPolicy(account, partition)

  const parameterArn = (name) => `arn:${partition}:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`
  const topic = resources.AlarmTopic?.ref
  return {
    account,
    region,
    partition,
    stackName,
    parameters: resolved.parameters,
    conditions: resolved.conditions,
    resolved,
    key,
    keyCreated,
    keyPolicy,
    functionRole,
    functionName: fn.ref,
    functionPolicies,
    environment,
    catalog: `arn:${partition}:glue:${region}:${account}:catalog`,
    keyParameter: parameterArn(environment.KMS_KEY_PARAMETER),
    exemptionParameter: environment.EXEMPTION_PARAMETER ? parameterArn(environment.EXEMPTION_PARAMETER) : undefined,
    topic,
    topicPolicy: resources.AlarmTopicPolicy?.Properties.PolicyDocument,
    topicKey: resources.AlarmTopicKey?.attributes.Arn,
    topicKeyPolicy: resources.AlarmTopicKey?.Properties.KeyPolicy,
    serviceRole: environment.CATALOG_SERVICE_ROLE_ARN || undefined,
  }
}

/** The resource policy that applies to a request on RESOURCE in deployment D, if any. */
export function resourcePolicyFor(d, resource) {
  if (resource === d.key) return d.keyPolicy
  if (d.topicKey && resource === d.topicKey) return d.topicKeyPolicy
  if (d.topic && resource === d.topic) return d.topicPolicy
  // Any other KMS key is one the template knows nothing about: KMS then needs a key policy
  // that allows the request, and the suite assumes the default one.
  if (/^arn:[^:]+:kms:[^:]+:[0-9]{12}:key\//.test(resource)) return defaultKeyPolicy(resource.split(':')[4], d.partition)
  return undefined
}
