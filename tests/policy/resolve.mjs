// Resolves a plain CloudFormation template (the output of scripts/sam-to-cfn.py) for one
// account, region and stack name, the way CloudFormation would: parameters with their defaults
// and overrides, conditions, resources that exist under those conditions, and every intrinsic
// function in their properties. Physical ids that CloudFormation would generate are
// synthesized, realistic and deterministic (the same inputs always give the same ids).
//
// Anything the resolver does not know (an intrinsic, a resource attribute, a parameter type)
// is an error, never a guess: a policy check on a half-resolved policy proves nothing.

import { createHash } from 'node:crypto'

const NO_VALUE = Symbol('AWS::NoValue')

export class ResolveError extends Error {}

function fail(message) {
  throw new ResolveError(message)
}

function digest(...parts) {
  return createHash('sha256').update(parts.join('\u0000')).digest()
}

// The 12-13 character suffix CloudFormation appends to generated names: upper-case letters
// and digits.
function suffix(...parts) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  return [...digest('suffix', ...parts).subarray(0, 12)].map((b) => alphabet[b % alphabet.length]).join('')
}

function uuid(...parts) {
  const hex = digest('uuid', ...parts).toString('hex')
  // A version 4 layout, as KMS key ids and CloudFormation stack ids have.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export function partitionOf(region) {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

function urlSuffixOf(partition) {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
}

// A name CloudFormation generates for a resource without an explicit name:
// <stack>-<logical id>-<suffix>, cut to the service's maximum length.
function generatedName(stackName, logicalId, maxLength) {
  const tail = `-${suffix(stackName, logicalId)}`
  const head = `${stackName}-${logicalId}`
  return head.slice(0, maxLength - tail.length) + tail
}

function isIntrinsic(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const keys = Object.keys(value)
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))
}

/**
 * Resolves TEMPLATE (parsed JSON) with:
 *   accountId, region, stackName   where the stack is deployed
 *   parameters                     overrides: { Name: "value" | ["a", "b"] }
 *   attributes                     overrides of resource attributes: { "CatalogKey.Arn": "arn:..." }
 * Returns { parameters, conditions, resources, outputs, pseudo, ref, getAtt, resolve }, where
 * resources holds only the resources whose condition holds, each with its resolved Properties.
 */
export function resolveTemplate(template, options) {
  const { accountId, region, stackName } = options
  if (!/^[0-9]{12}$/.test(accountId ?? '')) fail(`account id ${accountId} is not 12 digits`)
  if (!/^[a-z]{2}(-[a-z]+)+-[0-9]+$/.test(region ?? '')) fail(`region ${region} is not a region name`)
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(stackName ?? '')) fail(`stack name ${stackName} is not a stack name`)
  const partition = partitionOf(region)
  const pseudo = {
    'AWS::AccountId': accountId,
    'AWS::Region': region,
    'AWS::Partition': partition,
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/${uuid(accountId, region, stackName)}`,
    'AWS::URLSuffix': urlSuffixOf(partition),
    'AWS::NotificationARNs': [],
  }
  const attributeOverrides = { ...(options.attributes ?? {}) }
  const declared = template.Parameters ?? {}
  const resourcesIn = template.Resources ?? {}
  const conditionsIn = template.Conditions ?? {}

  // --- Parameters ------------------------------------------------------------------------
  const overrides = options.parameters ?? {}
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) fail(`parameter ${name} is not declared in the template`)
  }
  const parameters = {}
  for (const [name, declaration] of Object.entries(declared)) {
    const given = name in overrides ? overrides[name] : declaration.Default
    if (given === undefined) fail(`parameter ${name} has no default and no value`)
    parameters[name] = parameterValue(name, declaration, given)
  }

  // --- Conditions ------------------------------------------------------------------------
  const conditions = {}
  const evaluating = new Set()
  function condition(name) {
    if (name in conditions) return conditions[name]
    if (!(name in conditionsIn)) fail(`condition ${name} is not declared`)
    if (evaluating.has(name)) fail(`condition ${name} refers to itself`)
    evaluating.add(name)
    const value = conditionValue(conditionsIn[name])
    evaluating.delete(name)
    if (typeof value !== 'boolean') fail(`condition ${name} is not a boolean`)
    conditions[name] = value
    return value
  }
  function conditionValue(expression) {
    if (expression !== null && typeof expression === 'object' && !Array.isArray(expression)) {
      const keys = Object.keys(expression)
      if (keys.length === 1 && keys[0] === 'Condition') return condition(expression.Condition)
      if (keys.length === 1) {
        const [fn] = keys
        const argument = expression[fn]
        switch (fn) {
          case 'Fn::Equals': {
            if (!Array.isArray(argument) || argument.length !== 2) fail('Fn::Equals takes two values')
            const [a, b] = argument.map((v) => resolve(v))
            return JSON.stringify(a) === JSON.stringify(b)
          }
          case 'Fn::Not':
            if (!Array.isArray(argument) || argument.length !== 1) fail('Fn::Not takes one condition')
            return !conditionValue(argument[0])
          case 'Fn::And':
            if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10) fail('Fn::And takes 2 to 10 conditions')
            return argument.map(conditionValue).every(Boolean)
          case 'Fn::Or':
            if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10) fail('Fn::Or takes 2 to 10 conditions')
            return argument.map(conditionValue).some(Boolean)
          default:
            break
        }
      }
    }
    fail(`not a condition expression: ${JSON.stringify(expression)}`)
  }
  for (const name of Object.keys(conditionsIn)) condition(name)

  function exists(logicalId) {
    const resource = resourcesIn[logicalId]
    return resource !== undefined && (resource.Condition === undefined || condition(resource.Condition))
  }

  // --- Physical ids and attributes ---------------------------------------------------------
  const identities = {}
  function identity(logicalId) {
    if (logicalId in identities) return identities[logicalId]
    if (!(logicalId in resourcesIn)) fail(`resource ${logicalId} is not declared`)
    if (!exists(logicalId)) fail(`resource ${logicalId} is referenced but its condition ${resourcesIn[logicalId].Condition} is false`)
    identities[logicalId] = synthesize(logicalId, resourcesIn[logicalId])
    return identities[logicalId]
  }

  function property(logicalId, name) {
    const raw = resourcesIn[logicalId].Properties?.[name]
    return raw === undefined ? undefined : resolve(raw)
  }

  function overridden(logicalId, attribute) {
    return attributeOverrides[`${logicalId}.${attribute}`]
  }

  function synthesize(logicalId, resource) {
    const arn = (service, rest, { global = false } = {}) =>
      `arn:${partition}:${service}:${global ? '' : region}:${accountId}:${rest}`
    switch (resource.Type) {
      case 'AWS::KMS::Key': {
        const keyArn = overridden(logicalId, 'Arn')
        const keyId = keyArn ? keyArn.split('/').pop() : uuid(accountId, region, stackName, logicalId)
        const fullArn = keyArn ?? arn('kms', `key/${keyId}`)
        return { ref: keyId, attributes: { Arn: fullArn, KeyId: keyId } }
      }
      case 'AWS::KMS::Alias': {
        const name = property(logicalId, 'AliasName')
        return { ref: name, attributes: {} }
      }
      case 'AWS::SSM::Parameter': {
        const name = property(logicalId, 'Name') ?? `CFN-${generatedName(stackName, logicalId, 64)}`
        return { ref: name, attributes: { Type: property(logicalId, 'Type'), Value: property(logicalId, 'Value') } }
      }
      case 'AWS::IAM::Role': {
        const roleArn = overridden(logicalId, 'Arn')
        const path = property(logicalId, 'Path') ?? '/'
        const name = roleArn ? roleArn.split('/').pop() : (property(logicalId, 'RoleName') ?? generatedName(stackName, logicalId, 64))
        return {
          ref: name,
          attributes: {
            Arn: roleArn ?? `arn:${partition}:iam::${accountId}:role${path}${name}`,
            RoleId: `AROA${suffix(accountId, stackName, logicalId, 'role-id')}`,
          },
        }
      }
      case 'AWS::IAM::Policy':
        return { ref: `${stackName.slice(0, 5)}-${logicalId.slice(0, 10)}-${suffix(stackName, logicalId)}`, attributes: {} }
      case 'AWS::Logs::LogGroup': {
        const name = property(logicalId, 'LogGroupName') ?? generatedName(stackName, logicalId, 512)
        return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } }
      }
      case 'AWS::Lambda::Function': {
        const name = property(logicalId, 'FunctionName') ?? generatedName(stackName, logicalId, 64)
        return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } }
      }
      case 'AWS::SQS::Queue': {
        const fifo = property(logicalId, 'FifoQueue') === true
        const name = property(logicalId, 'QueueName') ?? generatedName(stackName, logicalId, fifo ? 75 : 80) + (fifo ? '.fifo' : '')
        return {
          ref: `https://sqs.${region}.${pseudo['AWS::URLSuffix']}/${accountId}/${name}`,
          attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: `https://sqs.${region}.${pseudo['AWS::URLSuffix']}/${accountId}/${name}` },
        }
      }
      case 'AWS::SNS::Topic': {
        const name = property(logicalId, 'TopicName') ?? generatedName(stackName, logicalId, 256)
        const topicArn = arn('sns', name)
        return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } }
      }
      case 'AWS::Events::Rule': {
        const name = property(logicalId, 'Name') ?? generatedName(stackName, logicalId, 64)
        return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } }
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = property(logicalId, 'AlarmName') ?? generatedName(stackName, logicalId, 255)
        return { ref: name, attributes: { Arn: arn('cloudwatch', `alarm:${name}`) } }
      }
      case 'AWS::SNS::Subscription':
        return { ref: `${arn('sns', property(logicalId, 'TopicArn').split(':').pop())}:${uuid(stackName, logicalId)}`, attributes: {} }
      default:
        // Resources nobody refers to by attribute (permissions, queue and topic policies,
        // invoke configs, catalog settings) only need some stable physical id.
        return { ref: generatedName(stackName, logicalId, 128), attributes: {} }
    }
  }

  function ref(name) {
    if (name in pseudo) return name === 'AWS::NoValue' ? NO_VALUE : pseudo[name]
    if (name === 'AWS::NoValue') return NO_VALUE
    if (name.startsWith('AWS::')) fail(`unknown pseudo parameter ${name}`)
    if (name in parameters) return parameters[name]
    if (name in resourcesIn) return identity(name).ref
    fail(`Ref to ${name}: neither a parameter nor a resource`)
  }

  function getAtt(logicalId, attribute) {
    const forced = overridden(logicalId, attribute)
    const known = identity(logicalId).attributes
    if (forced !== undefined) return forced
    if (!(attribute in known)) fail(`Fn::GetAtt ${logicalId}.${attribute}: unknown attribute of ${resourcesIn[logicalId].Type}`)
    return known[attribute]
  }

  // --- Intrinsic functions ---------------------------------------------------------------
  function resolve(value) {
    if (Array.isArray(value)) return value.map(resolve).filter((v) => v !== NO_VALUE)
    if (value === null || typeof value !== 'object') return value
    if (!isIntrinsic(value)) {
      const out = {}
      for (const [key, inner] of Object.entries(value)) {
        const resolved = resolve(inner)
        if (resolved !== NO_VALUE) out[key] = resolved
      }
      return out
    }
    const [fn] = Object.keys(value)
    const argument = value[fn]
    switch (fn) {
      case 'Ref':
        if (typeof argument !== 'string') fail('Ref takes a name')
        return ref(argument)
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/s)
        if (typeof logicalId !== 'string' || typeof attribute !== 'string') fail(`Fn::GetAtt takes [resource, attribute]: ${JSON.stringify(argument)}`)
        return getAtt(logicalId, resolve(attribute))
      }
      case 'Fn::If': {
        if (!Array.isArray(argument) || argument.length !== 3) fail('Fn::If takes [condition, then, else]')
        return resolve(condition(argument[0]) ? argument[1] : argument[2])
      }
      case 'Fn::Sub':
        return substitute(argument)
      case 'Fn::Join': {
        if (!Array.isArray(argument) || argument.length !== 2) fail('Fn::Join takes [delimiter, list]')
        const [delimiter, list] = [resolve(argument[0]), resolve(argument[1])]
        if (typeof delimiter !== 'string' || !Array.isArray(list)) fail('Fn::Join takes a string delimiter and a list')
        return list.map((item) => scalar(item, 'Fn::Join')).join(delimiter)
      }
      case 'Fn::Select': {
        if (!Array.isArray(argument) || argument.length !== 2) fail('Fn::Select takes [index, list]')
        const index = Number(resolve(argument[0]))
        const list = resolve(argument[1])
        if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
          fail(`Fn::Select index ${index} out of range of ${JSON.stringify(list)}`)
        }
        return list[index]
      }
      case 'Fn::Split': {
        if (!Array.isArray(argument) || argument.length !== 2) fail('Fn::Split takes [delimiter, string]')
        const [delimiter, text] = [resolve(argument[0]), resolve(argument[1])]
        if (typeof delimiter !== 'string' || typeof text !== 'string') fail('Fn::Split takes two strings')
        return text.split(delimiter)
      }
      default:
        fail(`unsupported intrinsic function ${fn}`)
    }
  }

  function scalar(item, where) {
    if (typeof item === 'string') return item
    if (typeof item === 'number' || typeof item === 'boolean') return String(item)
    fail(`${where}: ${JSON.stringify(item)} is not a string`)
  }

  function substitute(argument) {
    let text
    let variables = {}
    if (typeof argument === 'string') {
      text = argument
    } else if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
      text = argument[0]
      for (const [name, expression] of Object.entries(argument[1] ?? {})) variables[name] = resolve(expression)
    } else {
      fail(`Fn::Sub takes a string or [string, map]: ${JSON.stringify(argument)}`)
    }
    return text.replace(/\$\{([^}]*)\}/g, (whole, name) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`
      if (name in variables) return scalar(variables[name], `Fn::Sub \${${name}}`)
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [logicalId, attribute] = name.split(/\.(.*)/s)
        return scalar(getAtt(logicalId, attribute), `Fn::Sub \${${name}}`)
      }
      const value = ref(name)
      if (value === NO_VALUE) fail(`Fn::Sub \${${name}}: AWS::NoValue inside a string`)
      return scalar(value, `Fn::Sub \${${name}}`)
    })
  }

  // --- The resolved template ---------------------------------------------------------------
  const resources = {}
  for (const [logicalId, resource] of Object.entries(resourcesIn)) {
    if (!exists(logicalId)) continue
    resources[logicalId] = {
      Type: resource.Type,
      Properties: resolve(resource.Properties ?? {}),
      ref: identity(logicalId).ref,
      attributes: identity(logicalId).attributes,
    }
  }
  const outputs = {}
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !condition(output.Condition)) continue
    outputs[name] = resolve(output.Value)
  }

  return { parameters, conditions, resources, outputs, pseudo, ref, getAtt, resolve }
}

function parameterValue(name, declaration, given) {
  const type = declaration.Type
  let value
  if (type === 'String' || type === 'Number') {
    if (Array.isArray(given)) fail(`parameter ${name} (${type}) given a list`)
    value = String(given)
    if (type === 'Number' && !/^-?[0-9]+(\.[0-9]+)?$/.test(value)) fail(`parameter ${name}: ${value} is not a number`)
  } else if (type === 'CommaDelimitedList' || type.startsWith('List<')) {
    // An empty CommaDelimitedList resolves to [""], as in CloudFormation.
    value = Array.isArray(given) ? given.map(String) : String(given).split(',')
    if (value.length === 0) value = ['']
    value = value.map((item) => item.trim())
  } else {
    fail(`parameter ${name}: unsupported type ${type}`)
  }
  // The constraints CloudFormation checks before it creates anything: a case that passes a
  // value the template would refuse tests nothing real.
  const items = Array.isArray(value) ? value : [value]
  if (declaration.AllowedValues && !items.every((item) => declaration.AllowedValues.map(String).includes(item))) {
    fail(`parameter ${name}: ${JSON.stringify(value)} is not one of ${JSON.stringify(declaration.AllowedValues)}`)
  }
  if (declaration.AllowedPattern) {
    const pattern = new RegExp(`^(?:${declaration.AllowedPattern})$`)
    for (const item of items) {
      if (!pattern.test(item)) fail(`parameter ${name}: ${JSON.stringify(item)} does not match ${declaration.AllowedPattern}`)
    }
  }
  if (declaration.MaxLength !== undefined && items.some((item) => item.length > Number(declaration.MaxLength))) {
    fail(`parameter ${name}: longer than ${declaration.MaxLength}`)
  }
  return value
}
