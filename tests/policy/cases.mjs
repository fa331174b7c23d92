// The policy cases, as data: the parameter sets the template is resolved with, the
// principals that make requests, and one row per request with the verdict it must get.
// To add a case, add a row; to add a configuration, add a parameter set and name it in rows.

import { principal, ALLOWED, DENIED } from './simulate.mjs'

/** Where the sample stack is deployed. */
export const SAMPLE = { account: '111122223333', region: 'eu-west-1', stackName: 'glue-encryption-guardrail' }

const ORGANIZATION = 'o-a1b2c3d4e5'
const CONSUMER_ACCOUNT = '444455556666'
const OUTSIDE_ACCOUNT = '777788889999' // in another organization
const SERVICE_ROLE_NAME = 'service-role/glue-catalog-encryption'
const BROUGHT_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b'

export const parameterSets = [
  { name: 'defaults', parameters: {}, note: 'creates the key; remediate' },
  { name: 'detect', parameters: { EnforcementMode: 'detect' } },
  {
    name: 'bring-your-own-key',
    parameters: { KmsKeyArn: BROUGHT_KEY },
    note: 'no key policy in the template: the key is assumed to have the KMS default policy (IAM decides)',
  },
  { name: 'consumer-accounts', parameters: { CatalogConsumerAccountIds: `${CONSUMER_ACCOUNT},555566667777` } },
  { name: 'consumer-organization', parameters: { CatalogConsumerOrganizationId: ORGANIZATION } },
  { name: 'service-role', parameters: { CatalogServiceRoleName: SERVICE_ROLE_NAME } },
  { name: 'notifications', parameters: { AlarmEmail: 'security@example.com', Notifications: 'Enabled' } },
  { name: 'security-hub', parameters: { SecurityHubFindings: 'Enabled' } },
]

const ALL = parameterSets.map((s) => s.name)
const KEY_CREATED = ALL.filter((name) => name !== 'bring-your-own-key')
const NOT = (...names) => ALL.filter((name) => !names.includes(name))

// --- Principals ------------------------------------------------------------------------------

const roleArn = (account, name) => `arn:aws:iam::${account}:role/${name}`

const keyUse = (d, actions) => [
  {
    name: 'kms-on-the-catalog-key',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: d.key }] },
  },
]

/** A principal of the account with no KMS permission at all in IAM. */
const analyst = (d) => principal({ arn: roleArn(d.account, 'analyst'), organization: ORGANIZATION })

/** A principal of the account whose IAM policy allows kms:Decrypt on the key (used directly). */
const analystWithIamGrant = (d) =>
  principal({ arn: roleArn(d.account, 'key-user'), organization: ORGANIZATION, policies: keyUse(d, ['kms:Decrypt']) })

/** A consumer in another account of the organization; its IAM policy allows use of the key. */
const consumer = (d) =>
  principal({
    arn: roleArn(CONSUMER_ACCOUNT, 'analytics-reader'),
    organization: ORGANIZATION,
    policies: keyUse(d, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']),
  })

/** The same consumer without the IAM allow in its own account. */
const consumerWithoutIam = (d) => principal({ arn: roleArn(CONSUMER_ACCOUNT, 'analytics-reader'), organization: ORGANIZATION })

/** A principal of an account outside the organization, listed nowhere; IAM allows the key. */
const outsider = (d) =>
  principal({
    arn: roleArn(OUTSIDE_ACCOUNT, 'analytics-reader'),
    organization: 'o-z9y8x7w6v5',
    policies: keyUse(d, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
  })

// A Glue job or crawler: Glue runs it with its role's credentials (session of the role); to
// use a connection password it calls GetConnection, which returns the password encrypted,
// and then kms:Decrypt directly, not through Glue. Its IAM policy allows what the Glue guide
// asks of a role that reads connection passwords (kms:Decrypt on the key).
const jobRole = (d, tags) =>
  principal({
    arn: roleArn(d.account, 'service-role/AWSGlueServiceRole-etl'),
    organization: ORGANIZATION,
    tags,
    policies: keyUse(d, ['kms:Decrypt']),
  })
const passwordReaderJob = (d) => jobRole(d, { 'glue-connection-password-reader': 'true' })
const untaggedJob = (d) => jobRole(d, {})
const otherAccountTaggedJob = (d) =>
  principal({
    arn: roleArn(CONSUMER_ACCOUNT, 'service-role/AWSGlueServiceRole-etl'),
    organization: ORGANIZATION,
    tags: { 'glue-connection-password-reader': 'true' },
    policies: keyUse(d, ['kms:Decrypt']),
  })

/** The role Glue assumes in SSE-KMS-WITH-SERVICE-ROLE mode (the configured one, or the name
 * the sample uses when none is configured). No KMS permission in IAM. */
const serviceRole = (d) => principal({ arn: d.serviceRole ?? roleArn(d.account, SERVICE_ROLE_NAME), organization: ORGANIZATION })

/** The function: its execution role with every policy the template attaches to it. */
const fn = (d) => principal({ arn: d.functionRole, policies: d.functionPolicies })

// --- Resources and contexts ----------------------------------------------------------------

const key = (d) => d.key
const catalog = (d) => d.catalog
const otherCatalog = (d) => `arn:aws:glue:${d.region}:${CONSUMER_ACCOUNT}:catalog`
const glueDatabase = (d) => `arn:aws:glue:${d.region}:${d.account}:database/sales`
const viaGlue = (d) => ({ 'kms:ViaService': `glue.${d.region}.amazonaws.com` })
const viaGlueGrant = (d) => ({ ...viaGlue(d), 'kms:GrantIsForAWSResource': 'true' })

// --- Rows --------------------------------------------------------------------------------------

const rows = []
function add(sets, name, who, action, on, context, expect) {
  rows.push({ sets, name, who, action, on, context, expect })
}

// Catalog users of the account: as with aws/glue, every principal may use the key through
// Glue with no IAM grant, and none may use it directly, not even with an IAM grant.
for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']) {
  add(KEY_CREATED, 'account principal, no KMS in IAM, through Glue', analyst, action, key, viaGlue, ALLOWED)
  add(KEY_CREATED, 'account principal, no KMS in IAM, directly', analyst, action, key, undefined, DENIED)
}
add(KEY_CREATED, 'account principal, no KMS in IAM, through Glue', analyst, 'kms:ReEncryptFrom', key, viaGlue, ALLOWED)
add(KEY_CREATED, 'account principal, no KMS in IAM, through Glue', analyst, 'kms:GenerateDataKeyWithoutPlaintext', key, viaGlue, ALLOWED)
add(KEY_CREATED, 'account principal, no KMS in IAM, through Glue', analyst, 'kms:DescribeKey', key, viaGlue, ALLOWED)
add(KEY_CREATED, 'account principal, IAM allows Decrypt, directly', analystWithIamGrant, 'kms:Decrypt', key, undefined, DENIED)
add(KEY_CREATED, 'account principal, through another service', analyst, 'kms:Decrypt', key,
  (d) => ({ 'kms:ViaService': `s3.${d.region}.amazonaws.com` }), DENIED)

// Grants: only those Glue creates for an AWS resource.
add(KEY_CREATED, 'grant through Glue for an AWS resource', analyst, 'kms:CreateGrant', key, viaGlueGrant, ALLOWED)
add(KEY_CREATED, 'grant through Glue, not for an AWS resource', analyst, 'kms:CreateGrant', key,
  (d) => ({ ...viaGlue(d), 'kms:GrantIsForAWSResource': 'false' }), DENIED)
add(KEY_CREATED, 'grant made directly', analyst, 'kms:CreateGrant', key, () => ({ 'kms:GrantIsForAWSResource': 'true' }), DENIED)

// Cross-account consumers: opt in per account or per organization, through Glue only, and
// with an IAM allow in their own account.
add(NOT('bring-your-own-key', 'consumer-accounts', 'consumer-organization'), 'consumer account not opted in, through Glue',
  consumer, 'kms:Decrypt', key, viaGlue, DENIED)
for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) {
  add(['consumer-accounts', 'consumer-organization'], 'consumer account opted in, through Glue', consumer, action, key, viaGlue, ALLOWED)
}
add(['consumer-accounts', 'consumer-organization'], 'consumer account opted in, directly', consumer, 'kms:Decrypt', key, undefined, DENIED)
add(['consumer-accounts', 'consumer-organization'], 'consumer opted in, no IAM allow of its own', consumerWithoutIam,
  'kms:Decrypt', key, viaGlue, DENIED)
add(['consumer-accounts', 'consumer-organization'], 'account outside the list and the organization', outsider,
  'kms:Decrypt', key, viaGlue, DENIED)
add(['consumer-accounts', 'consumer-organization'], 'consumer account opted in, grant through Glue', consumer,
  'kms:CreateGrant', key, viaGlueGrant, DENIED)

// Connection passwords: the job's role decrypts the ciphertext GetConnection returned,
// directly. Only principals of the account tagged as readers may.
add(KEY_CREATED, 'job role tagged as password reader, directly', passwordReaderJob, 'kms:Decrypt', key, undefined, ALLOWED)
add(KEY_CREATED, 'job role not tagged, directly', untaggedJob, 'kms:Decrypt', key, undefined, DENIED)
add(KEY_CREATED, 'job role tagged, may not encrypt directly', passwordReaderJob, 'kms:Encrypt', key, undefined, DENIED)
add(KEY_CREATED, 'tagged role of another account, directly', otherAccountTaggedJob, 'kms:Decrypt', key, undefined, DENIED)
add(KEY_CREATED, 'job role stores a password (CreateConnection)', untaggedJob, 'kms:Encrypt', key, viaGlue, ALLOWED)

// SSE-KMS-WITH-SERVICE-ROLE: Glue assumes the role and calls KMS as that role.
for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) {
  add(['service-role'], 'service role, as Glue uses it (no ViaService)', serviceRole, action, key, undefined, ALLOWED)
}
add(['service-role'], 'service role, with ViaService glue', serviceRole, 'kms:Decrypt', key, viaGlue, ALLOWED)
add(['service-role'], 'service role may not create grants', serviceRole, 'kms:CreateGrant', key,
  () => ({ 'kms:GrantIsForAWSResource': 'true' }), DENIED)
add(NOT('bring-your-own-key', 'service-role'), 'service role not configured', serviceRole, 'kms:Decrypt', key, undefined, DENIED)

// What the function does, under every configuration.
add(ALL, 'the function reads the settings', fn, 'glue:GetDataCatalogEncryptionSettings', catalog, undefined, ALLOWED)
add(NOT('detect'), 'the function writes the settings', fn, 'glue:PutDataCatalogEncryptionSettings', catalog, undefined, ALLOWED)
add(ALL, 'the function reads the key parameter', fn, 'ssm:GetParameter', (d) => d.keyParameter, undefined, ALLOWED)
add(ALL, 'the function reads the exemption', fn, 'ssm:GetParameter', (d) => d.exemptionParameter, undefined, ALLOWED)
add(ALL, 'the function checks the expected key', fn, 'kms:DescribeKey', key, undefined, ALLOWED)
add(['notifications'], 'the function notifies', fn, 'sns:Publish', (d) => d.topic, undefined, ALLOWED)
add(['notifications'], 'the function encrypts its notification', fn, 'kms:GenerateDataKey', (d) => d.topicKey,
  (d) => ({ 'kms:ViaService': `sns.${d.region}.amazonaws.com`, 'kms:EncryptionContext:aws:sns:topicArn': d.topic }), ALLOWED)
add(['notifications'], 'the function encrypts for another topic', fn, 'kms:GenerateDataKey', (d) => d.topicKey,
  (d) => ({ 'kms:ViaService': `sns.${d.region}.amazonaws.com`, 'kms:EncryptionContext:aws:sns:topicArn': `arn:aws:sns:${d.region}:${d.account}:other-topic` }), DENIED)
add(['service-role'], 'the function passes the service role to Glue', fn, 'iam:PassRole', (d) => d.serviceRole,
  () => ({ 'iam:PassedToService': 'glue.amazonaws.com' }), ALLOWED)

// Security Hub findings: the account's own default product, for this account, in this region.
const ownProduct = (d) => `arn:aws:securityhub:${d.region}:${d.account}:product/${d.account}/default`
const ownHub = (d) => `arn:aws:securityhub:${d.region}:${d.account}:hub/default`
const forAccount = (account) => (d) => ({ 'securityhub:TargetAccount': account ?? d.account })
add(['security-hub'], 'the function imports its finding', fn, 'securityhub:BatchImportFindings', ownProduct, forAccount(), ALLOWED)
add(['security-hub'], 'the function reads its finding back', fn, 'securityhub:GetFindings', ownHub, undefined, ALLOWED)
add(['security-hub'], 'the function imports a finding for another account', fn, 'securityhub:BatchImportFindings', ownProduct,
  forAccount(CONSUMER_ACCOUNT), DENIED)
add(['security-hub'], "the function imports through another account's product", fn, 'securityhub:BatchImportFindings',
  (d) => `arn:aws:securityhub:${d.region}:${d.account}:product/${CONSUMER_ACCOUNT}/default`, forAccount(), DENIED)
add(['security-hub'], "the function imports through an AWS service's product", fn, 'securityhub:BatchImportFindings',
  (d) => `arn:aws:securityhub:${d.region}:${d.account}:product/aws/guardduty`, forAccount(), DENIED)
add(['security-hub'], "the function imports into another region's product", fn, 'securityhub:BatchImportFindings',
  (d) => `arn:aws:securityhub:us-east-1:${d.account}:product/${d.account}/default`, forAccount(), DENIED)
add(['security-hub'], "the function reads another region's hub", fn, 'securityhub:GetFindings',
  (d) => `arn:aws:securityhub:us-east-1:${d.account}:hub/default`, undefined, DENIED)
add(NOT('security-hub'), 'the function imports its finding (findings off)', fn, 'securityhub:BatchImportFindings', ownProduct,
  forAccount(), DENIED)
add(NOT('security-hub'), 'the function reads its finding back (findings off)', fn, 'securityhub:GetFindings', ownHub, undefined, DENIED)

// What the function must never be able to do.
add(ALL, 'the function decrypts with the key', fn, 'kms:Decrypt', key, undefined, DENIED)
add(ALL, 'the function deletes the key', fn, 'kms:ScheduleKeyDeletion', key, undefined, DENIED)
add(ALL, 'the function rewrites the key policy', fn, 'kms:PutKeyPolicy', key, undefined, DENIED)
add(ALL, 'the function disables the key', fn, 'kms:DisableKey', key, undefined, DENIED)
add(ALL, 'the function re-points the key parameter', fn, 'ssm:PutParameter', (d) => d.keyParameter, undefined, DENIED)
add(ALL, 'the function writes the exemption', fn, 'ssm:PutParameter', (d) => d.exemptionParameter, undefined, DENIED)
add(ALL, 'the function sets a catalog resource policy', fn, 'glue:PutResourcePolicy', catalog, undefined, DENIED)
add(ALL, 'the function updates a database', fn, 'glue:UpdateDatabase', catalog, undefined, DENIED)
add(ALL, 'the function updates a database', fn, 'glue:UpdateDatabase', glueDatabase, undefined, DENIED)
add(ALL, 'the function creates a table', fn, 'glue:CreateTable', catalog, undefined, DENIED)
add(ALL, 'the function deletes a database', fn, 'glue:DeleteDatabase', catalog, undefined, DENIED)
add(ALL, 'the function reads connection passwords', fn, 'glue:GetConnection', catalog, undefined, DENIED)
add(['detect'], 'the function writes the settings in detect mode', fn, 'glue:PutDataCatalogEncryptionSettings', catalog, undefined, DENIED)
add(ALL, "the function writes another account's catalog", fn, 'glue:PutDataCatalogEncryptionSettings', otherCatalog, undefined, DENIED)
add(ALL, 'the function passes another role', fn, 'iam:PassRole', (d) => roleArn(d.account, 'admin'),
  () => ({ 'iam:PassedToService': 'glue.amazonaws.com' }), DENIED)
add(ALL, 'the function passes the service role to Lambda', fn, 'iam:PassRole', (d) => roleArn(d.account, SERVICE_ROLE_NAME),
  () => ({ 'iam:PassedToService': 'lambda.amazonaws.com' }), DENIED)
add(NOT('service-role'), 'the function passes the service role (not configured)', fn, 'iam:PassRole',
  (d) => roleArn(d.account, SERVICE_ROLE_NAME), () => ({ 'iam:PassedToService': 'glue.amazonaws.com' }), DENIED)
add(NOT('notifications'), 'the function publishes (notifications off)', fn, 'sns:Publish',
  (d) => `arn:aws:sns:${d.region}:${d.account}:${d.stackName}-guardrail-alarms`, undefined, DENIED)

export const cases = rows

// --- Calibration -------------------------------------------------------------------------------
// Known verdicts on hand-written policies, so that a change in the evaluator itself shows
// before it can change what the cases above mean.

const CAL_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const rootOnlyKeyPolicy = (actions) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: actions, Resource: '*' }],
})
const anyPrincipalThroughGlue = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'glue.eu-west-1.amazonaws.com' } },
    },
  ],
}
const calAnalyst = principal({ arn: 'arn:aws:iam::111122223333:role/analyst' })
const calAnalystWithIam = principal({
  arn: 'arn:aws:iam::111122223333:role/analyst',
  policies: [{ name: 'kms', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: CAL_KEY }] } }],
})
const calConsumerWithIam = principal({
  arn: 'arn:aws:iam::444455556666:role/consumer',
  policies: [{ name: 'kms', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: CAL_KEY }] } }],
})
const calGlue = { 'kms:ViaService': 'glue.eu-west-1.amazonaws.com' }

export const calibration = [
  {
    name: 'root-only key policy, no IAM allow',
    request: { who: calAnalyst, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: rootOnlyKeyPolicy('kms:*'), context: calGlue },
    expect: DENIED,
  },
  {
    name: 'root-only key policy, IAM allow',
    request: { who: calAnalystWithIam, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: rootOnlyKeyPolicy('kms:*'), context: calGlue },
    expect: ALLOWED,
  },
  {
    name: 'root key policy without Decrypt, IAM allow',
    request: { who: calAnalystWithIam, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: rootOnlyKeyPolicy('kms:DescribeKey'), context: {} },
    expect: DENIED,
  },
  {
    name: 'no key policy, IAM allow',
    request: { who: calAnalystWithIam, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: undefined, context: {} },
    expect: DENIED,
  },
  {
    name: 'any principal through Glue, no IAM allow',
    request: { who: calAnalyst, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: anyPrincipalThroughGlue, context: calGlue },
    expect: ALLOWED,
  },
  {
    name: 'any principal through Glue, used directly',
    request: { who: calAnalyst, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: anyPrincipalThroughGlue, context: {} },
    expect: DENIED,
  },
  {
    name: 'other account, IAM allow, through Glue',
    request: { who: calConsumerWithIam, action: 'kms:Decrypt', resource: CAL_KEY, resourcePolicy: anyPrincipalThroughGlue, context: calGlue },
    expect: DENIED,
  },
]
